"""Node tokens: issued on the Camp nodes page, shown once, stored as a hash, revocable; only
site admins and the community's facilitators see, make and stop them."""
import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from kultialogo.errors import Problem
from kultialogo.extensions import db
from kultialogo.nodes import tokens
from kultialogo.nodes.models import NodeToken
from kultialogo.timeutil import as_utc, utcnow
from tests import factories as f

from tests.people.test_security_headers_and_csrf import check_csp

from .conftest import audit_rows, camp, no_inline_code

TOKEN_RE = re.compile(r"kn_[A-Za-z0-9_-]{43}")


def stored() -> list[NodeToken]:
    db.session.rollback()
    return list(db.session.scalars(select(NodeToken).order_by(NodeToken.id)))


def issue_on_page(browser, **values):
    page = browser.get("/admin/nodes").get_data(as_text=True)
    return browser.post("/admin/nodes", data={"csrf_token": f.csrf_from(page), **values})


@pytest.mark.parametrize("role", ["admin", "facilitator"])
def test_issuing_shows_the_token_once_and_stores_only_its_hash(app, cast, web, role):
    event = camp(cast["facilitator"])
    browser = web(role)
    response = issue_on_page(browser, community="siena", event=str(event.id), label="Laptop at the lake")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    check_csp(response, "issued")
    html = response.get_data(as_text=True)
    no_inline_code(html)
    [token] = set(TOKEN_RE.findall(html))
    assert f"kultialogo node init --central http://localhost --token {token}" in html
    [record] = stored()
    assert record.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert (record.community_id, record.event_id, record.label, record.created_by_id) == \
        (f.community("siena").id, event.id, "Laptop at the lake", cast[role].id)
    assert token not in repr([getattr(record, c.key) for c in NodeToken.__table__.columns])
    # Never again: the list shows the node, not its token.
    listing = browser.get("/admin/nodes").get_data(as_text=True)
    no_inline_code(listing)
    assert "Laptop at the lake" in listing and "Summer camp" in listing and token not in listing
    [event_row] = audit_rows("node_token.issue")
    assert event_row.detail == {"node": record.id, "event": event.id}
    assert event_row.actor_id == cast[role].id and token not in repr(event_row.detail)


def test_node_for_finds_a_live_token_and_not_a_revoked_or_made_up_one(app, cast):
    token, record = tokens.issue(cast["admin"], f.community("siena"), label="Pi")
    assert token.startswith("kn_")
    found = tokens.node_for(token)
    assert found is not None and found.id == record.id and found.last_seen_at is not None
    for wrong in (token[:-1] + ("A" if token[-1] != "A" else "B"), token[3:], "", None, 42, "kn_" + "x" * 300):
        assert tokens.node_for(wrong) is None
    tokens.revoke(cast["admin"], record.id)
    assert tokens.node_for(token) is None
    [event_row] = audit_rows("node_token.revoke")
    assert event_row.detail == {"node": record.id}


def test_last_seen_is_written_at_most_once_a_minute(app, cast):
    token, record = tokens.issue(cast["admin"], f.community("siena"))
    first = as_utc(tokens.node_for(token).last_seen_at)
    assert as_utc(tokens.node_for(token).last_seen_at) == first
    long_ago = utcnow() - timedelta(minutes=5)
    db.session.execute(NodeToken.__table__.update().values(last_seen_at=long_ago))
    db.session.commit()
    assert as_utc(tokens.node_for(token).last_seen_at) > long_ago + timedelta(minutes=4)


def test_a_revoke_on_the_page_stops_the_token(app, cast, web):
    token, record = tokens.issue(cast["facilitator"], f.community("siena"), label="Pi")
    browser = web("facilitator")
    response = browser.post(f"/admin/nodes/{record.id}/revoke", data={"csrf_token": browser.csrf("/admin/nodes")})
    assert response.status_code == 302
    assert stored()[0].revoked_at is not None and tokens.node_for(token) is None
    assert "Stop this token" not in browser.get("/admin/nodes").get_data(as_text=True)


@pytest.mark.parametrize("role", ["participant", "other_facilitator"])
def test_others_cannot_issue_revoke_or_list_a_communitys_tokens(app, cast, web, role):
    _token, record = tokens.issue(cast["admin"], f.community("siena"), label="Siena's laptop")
    browser = web(role)
    listing = browser.get("/admin/nodes")
    if role == "participant":
        assert listing.status_code == 403
    else:  # their own community's page: nothing of siena's
        assert listing.status_code == 200 and "Siena&#39;s laptop" not in listing.get_data(as_text=True)
        assert "Siena's laptop" not in listing.get_data(as_text=True)
    csrf = browser.csrf("/")
    assert browser.post("/admin/nodes", data={"csrf_token": csrf, "community": "siena", "label": "x"}).status_code == 403
    assert browser.post(f"/admin/nodes/{record.id}/revoke", data={"csrf_token": csrf}).status_code == 403
    assert [r.revoked_at for r in stored()] == [None]
    with pytest.raises(Problem) as refused:
        tokens.issue(cast[role], f.community("siena"))
    assert refused.value.status == 403
    with pytest.raises(Problem):
        tokens.revoke(cast[role], record.id)
    if role == "participant":
        with pytest.raises(Problem):
            tokens.tokens_for(cast[role])
    else:
        assert tokens.tokens_for(cast[role]) == []


def test_signed_out_people_are_sent_to_sign_in(app, cast, web):
    assert web(None).get("/admin/nodes").status_code == 302


def test_an_event_of_another_community_is_refused(app, cast, web):
    other = camp(cast["other_facilitator"], "belgrade", "Belgrade camp")
    response = issue_on_page(web("admin"), community="siena", event=str(other.id), label="x")
    assert response.status_code == 400
    assert "There is no such event in this community." in response.get_data(as_text=True)
    assert stored() == []


def test_the_forms_are_refused_without_their_csrf_token(app, cast, web):
    _token, record = tokens.issue(cast["admin"], f.community("siena"))
    browser = web("admin")
    for action in ("/admin/nodes", f"/admin/nodes/{record.id}/revoke", "/admin/nodes/conflicts/1/undo"):
        response = browser.post(action, data={"community": "siena", "label": "x"})
        assert response.status_code == 400, action
        assert "form expired or was sent from elsewhere" in response.get_data(as_text=True)
    assert [(r.id, r.revoked_at) for r in stored()] == [(record.id, None)]
