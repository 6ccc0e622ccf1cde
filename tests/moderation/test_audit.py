"""The audit log: append-only in the database itself, no route that changes it, a row for every
action, and the admin's viewer (filters, keyset pages, "deleted account")."""
import re
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from kultialogo.privacy import service as privacy
from kultialogo.audit import ACTION_LABELS, record
from kultialogo.database import write_transaction
from kultialogo.extensions import db
from kultialogo.moderation import service as moderation
from tests import factories as f

from .conftest import audit_rows, story_in, write_story

SERVER = Path(__file__).resolve().parents[2] / "server"


def _one_event(actor=None) -> int:
    with write_transaction():
        record("story.publish", actor, community_id=None, note=False)
    return audit_rows()[-1].id


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET action = 'story.hide' WHERE id = :id",
    "UPDATE audit_events SET detail = '{}' WHERE id = :id",
    "UPDATE audit_events SET at = at WHERE id = :id AND 1 = 0",  # a no-op must stay harmless (0 rows)
    "DELETE FROM audit_events WHERE id = :id",
    "DELETE FROM audit_events",
])
def test_the_database_refuses_to_change_or_delete_audit_rows(app, cast, statement):
    event_id = _one_event(cast["admin"].account)
    before = [(e.id, e.action, e.actor_id, e.detail) for e in audit_rows()]
    if "1 = 0" in statement:
        db.session.execute(text(statement), {"id": event_id})
        db.session.commit()
    else:
        with pytest.raises(DBAPIError) as refused:
            db.session.execute(text(statement), {"id": event_id})
            db.session.commit()
        db.session.rollback()
        assert "append-only" in str(refused.value)
    assert [(e.id, e.action, e.actor_id, e.detail) for e in audit_rows()] == before


def test_an_actor_cannot_be_changed_to_someone_else_even_by_sql(app, cast):
    event_id = _one_event(cast["facilitator"].account)
    with pytest.raises(DBAPIError):
        db.session.execute(text("UPDATE audit_events SET actor_id = :other WHERE id = :id"),
                           {"other": cast["admin"].id, "id": event_id})
        db.session.commit()
    db.session.rollback()
    assert audit_rows()[-1].actor_id == cast["facilitator"].id


def test_deleting_an_account_sets_its_events_actor_to_null_and_keeps_them(app, cast, web):
    giulia = cast["facilitator"]
    story_id = story_in("pending", cast["author"].account, giulia.account)
    moderation.moderate(giulia.account, story_id, "publish")
    [event] = audit_rows(action="story.publish", story_id=story_id)
    assert event.actor_id == giulia.id
    privacy.delete_account(giulia.account, giulia.account, privacy.ANONYMISE_STORIES)
    [kept] = audit_rows(action="story.publish", story_id=story_id)
    assert (kept.id, kept.actor_id, kept.detail) == (event.id, None, event.detail)
    [deletion] = audit_rows(action="account.delete")
    assert deletion.actor_id is None and deletion.detail == {"stories": "anonymise", "by_self": True}
    page = web("admin").get("/admin/audit").get_data(as_text=True)
    assert "deleted account" in page


def test_a_facilitator_deleting_a_managed_participant_is_named_in_the_log(app, cast):
    from kultialogo.people import service as people
    from kultialogo.communities.models import Community
    siena = db.session.scalar(select(Community).where(Community.slug == "siena"))
    giulia = cast["facilitator"].account
    person = people.create_managed(giulia, siena, "Hamid")
    privacy.delete_account(giulia, person, privacy.DELETE_STORIES)
    [deletion] = audit_rows(action="account.delete")
    assert deletion.actor_id == giulia.id and deletion.detail["by_self"] is False


def test_no_route_can_change_the_audit_log(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin/audit"):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
    # And no code path updates or deletes events: the model is only ever added to.
    pattern = re.compile(r"(update|delete)\(\s*(audit\.)?AuditEvent|AuditEvent\.__table__\.(update|delete)|"
                         r"(UPDATE|DELETE\s+FROM)\s+\"?audit_events")
    offenders = [str(p) for p in SERVER.rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_every_moderation_action_the_tests_perform_has_its_row(client, app, cast):
    """publish, reject, hide, unhide, report, auto-hide, resolve, withdraw, role, membership,
    community, consent: each leaves exactly the row it should, with ids and codes only."""
    from kultialogo.admin import service as admin
    from kultialogo.people import service as people
    from kultialogo.communities.models import Community
    from kultialogo.stories import service as stories
    from kultialogo.stories.schema import validate_content
    import uuid

    app.config["REPORTS_TO_HIDE"] = 1
    root, giulia, amina, bilal = (cast[r].account for r in ("admin", "facilitator", "author", "other_participant"))
    siena = db.session.scalar(select(Community).where(Community.slug == "siena"))
    done = []

    a = write_story(amina)
    moderation.moderate(giulia, a, "publish"); done.append(("story.publish", giulia.id, a))
    moderation.moderate(giulia, a, "hide", "spam"); done.append(("story.hide", giulia.id, a))
    moderation.moderate(giulia, a, "unhide"); done.append(("story.unhide", giulia.id, a))
    moderation.report(bilal, a, "hateful"); done += [("story.report", bilal.id, a), ("story.auto_hide", None, a)]
    moderation.resolve_reports(giulia, a, "reject", "hateful")
    done += [("story.reject", giulia.id, a), ("reports.resolve", giulia.id, a)]
    stories.withdraw_one(amina, a); done.append(("story.withdraw", amina.id, a))

    community = admin.create_community(root, "utrecht", admin.clean_settings({"en": "Utrecht"}))
    done.append(("community.create", root.id, None))
    admin.update_community(root, community, admin.clean_settings({"en": "Utrecht", "nl": "Utrecht"}, moderation="trusted"))
    done.append(("community.update", root.id, None))
    admin.add_member(root, community, "bilal", "participant"); done.append(("membership.add", root.id, None))
    admin.set_role(root, community, bilal.id, "facilitator"); done.append(("membership.role", root.id, None))

    person = people.create_managed(giulia, siena, "Hamid"); done.append(("account.create_managed", giulia.id, None))
    told = uuid.uuid4()
    content = validate_content({"title": "Told aloud", "body": "At the assembly.", "language": "ar",
                                "community": "siena", "visibility": "community", "author_display": "anonymous",
                                "consent": {"kind": "verbal", "recorded_by": "giulia"}})
    people.record_for(giulia, person, told, content); done.append(("story.consent", giulia.id, told))
    privacy.export_zip(giulia, person); done.append(("account.export", giulia.id, None))
    privacy.delete_account(giulia, person, privacy.DELETE_STORIES)
    # Their stories are withdrawn as theirs (that actor is the deleted account: NULL); the
    # deletion itself names the facilitator who did it.
    done += [("story.withdraw", None, told), ("account.delete", giulia.id, None)]

    rows = [(e.action, e.actor_id, e.story_id) for e in audit_rows()]
    assert rows == done
    for event in audit_rows():
        assert event.action in ACTION_LABELS  # every action has words in the viewer
        # ids, codes, flags and numbers only: no story text, no names.
        flat = repr(event.detail)
        for secret in ("Told aloud", "At the assembly", "Hamid", "Utrecht", "amina", "bilal"):
            assert secret not in flat


def test_every_action_the_code_records_has_words_in_the_viewer():
    recorded = set()
    for path in SERVER.rglob("*.py"):
        recorded |= set(re.findall(r'record\(\s*"([a-z_.]+)"', path.read_text(encoding="utf-8")))
    from kultialogo.moderation.service import TRANSITIONS
    recorded |= {f"story.{action}" for action in TRANSITIONS}
    assert recorded and recorded <= set(ACTION_LABELS), sorted(recorded - set(ACTION_LABELS))


# --- The viewer -----------------------------------------------------------------------------

def _events(app, cast, n):
    for i in range(n):
        with write_transaction():
            record("story.publish" if i % 2 else "membership.role", cast["facilitator"].account, number=i)


def test_only_admins_read_the_log(web, cast):
    assert web("admin").get("/admin/audit").status_code == 200
    for role in ("facilitator", "other_participant", "author"):
        assert web(role).get("/admin/audit").status_code == 403
    anonymous = web(None).get("/admin/audit")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/signin")


def test_the_viewer_pages_by_keyset_newest_first(web, app, cast):
    app.config["AUDIT_PAGE_SIZE"] = 3
    _events(app, cast, 7)
    browser = web("admin")
    seen = []
    url = "/admin/audit"
    while url:
        html = browser.get(url).get_data(as_text=True)
        seen += [int(n) for n in re.findall(r"number=(\d+)", html)]
        more = re.search(r'<a rel="next" href="([^"]+)"', html)
        url = more.group(1).replace("&amp;", "&") if more else None
    assert seen == [6, 5, 4, 3, 2, 1, 0]


def test_the_viewer_filters_by_action_community_and_date(web, app, cast):
    from datetime import date, timedelta
    _events(app, cast, 4)
    story_id = story_in("pending", cast["author"].account, cast["facilitator"].account)
    moderation.moderate(cast["facilitator"].account, story_id, "publish")
    browser = web("admin")
    only_publish = browser.get("/admin/audit?action=story.publish").get_data(as_text=True)
    assert set(re.findall(r"number=(\d+)", only_publish)) == {"1", "3"}
    assert "Published a story" in only_publish and "Changed someone" not in only_publish.split("<ol")[1]
    siena = browser.get("/admin/audit?community=siena").get_data(as_text=True)
    assert re.findall(r"number=(\d+)", siena) == [] and f"/stories/{story_id}" in siena
    today = date.today()
    assert "number=" in browser.get(f"/admin/audit?from={today - timedelta(days=1)}&to={today + timedelta(days=1)}").get_data(as_text=True)
    assert "number=" not in browser.get(f"/admin/audit?to={today - timedelta(days=2)}").get_data(as_text=True)
    assert browser.get("/admin/audit?from=yesterday").status_code == 400
    assert browser.get("/admin/audit?community=nowhere").status_code == 404


def test_the_viewer_names_the_actor_and_translates_the_action(web, cast):
    story_id = story_in("pending", cast["author"].account, cast["facilitator"].account)
    moderation.moderate(cast["facilitator"].account, story_id, "publish")
    html = web("admin").get("/admin/audit?lang=ar").get_data(as_text=True)
    assert 'dir="rtl"' in html and cast["facilitator"].username in html
    assert f'href="/stories/{story_id}"' in html


def test_the_viewer_links_to_the_export_with_its_filters(web, app, cast):
    if "exports.audit" not in app.view_functions:
        pytest.skip("no audit export in this build")
    html = web("admin").get("/admin/audit?action=story.publish&community=siena").get_data(as_text=True)
    links = re.findall(r'href="(/exports/audit\.(?:csv|json)[^"]*)"', html)
    assert len(links) == 2
    for link in links:
        link = link.replace("&amp;", "&")
        assert "action=story.publish" in link and "community=siena" in link


def test_a_consent_record_sent_with_a_story_is_audited_once(client, cast):
    """Stories told aloud or with a guardian's consent, from a phone or a camp node (push) or
    the write form: one story.consent row each; a person's own consent needs none."""
    import uuid
    giulia = cast["facilitator"]
    told, own, guardian = (str(uuid.uuid4()) for _ in range(3))
    items = [f.item(told, consent={"kind": "verbal", "recorded_by": "giulia", "at": "2026-07-14T10:00:00Z"}),
             f.item(own),
             f.item(guardian, about_minor=True, consent={"kind": "self", "guardian": True})]
    for _ in range(2):  # a replay stores nothing twice, and audits nothing twice
        response = client.post("/api/v1/sync/push", json={"items": items}, headers=giulia.headers)
        assert response.status_code == 200
        assert [r["result"] for r in response.get_json()["results"]] in (["created"] * 3, ["unchanged"] * 3)
    rows = audit_rows(action="story.consent")
    assert sorted((str(r.story_id), r.detail["kind"], r.detail["guardian"], r.detail["via"]) for r in rows) == sorted([
        (told, "verbal", False, "sync"), (guardian, "self", True, "sync")])
    assert all(r.actor_id == giulia.id for r in rows)
    assert "giulia" not in repr([r.detail for r in rows])  # who recorded it is the actor, not text
