"""The cast of the camp node tests: siena (its node) and belgrade, a facilitator of each, a
participant of siena, a site admin; ``web(role)`` is a browser signed in as that role."""
import re
from datetime import date

import pytest
from sqlalchemy import select

from kultialogo.audit import AuditEvent
from kultialogo.events import service as events
from kultialogo.extensions import db
from kultialogo.nodes.models import NodeLink
from tests import factories as f
from tests.people.helpers import Fresh


@pytest.fixture
def cast(app):
    f.community("siena")
    f.community("belgrade")
    return {
        "participant": f.account("amina", community_slug="siena"),
        "facilitator": f.account("giulia", community_slug="siena", role="facilitator"),
        "other_facilitator": f.account("milica", community_slug="belgrade", role="facilitator"),
        "admin": f.account("root", is_admin=True),
    }


@pytest.fixture
def web(app, cast):
    """web(role): a browser signed in as that role (None: not signed in)."""
    browsers = {}

    def make(role):
        if role not in browsers:
            browser = Fresh(app)
            if role is not None:
                browser.sign_in(cast[role].username)
            browsers[role] = browser
        return browsers[role]
    return make


def camp(actor, slug="siena", title="Summer camp"):
    return events.create_event(actor, f.community(slug), events.EventDetails(
        kind="camp", title=title, starts_on=date(2026, 7, 20), ends_on=date(2026, 7, 27)))


def make_node(slug="siena", progress=None, **values) -> NodeLink:
    """This instance becomes a node of ``slug`` (what `kultialogo node init` leaves behind)."""
    link = NodeLink(central_url="https://central.example.org", token="kn_" + "x" * 43,
                    community_id=f.community(slug).id, label="Camp laptop", progress=progress or {}, **values)
    db.session.add(link)
    db.session.commit()
    return link


def audit_rows(action) -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def no_inline_code(html: str) -> None:
    """The strict CSP's part in the page: no inline script, style or event handler."""
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"<style\b", html) and not re.search(r'\sstyle="', html)
    assert not re.search(r"\son[a-z]+=", html)
