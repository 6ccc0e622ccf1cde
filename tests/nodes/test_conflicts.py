"""Conflicts decided by rule: kept, written to the audit log, listed for those who manage the
node's community, and a username rename undone when the name is free again."""
import uuid

import pytest
from sqlalchemy import select

from kultialogo.accounts.models import Account
from kultialogo.database import write_transaction
from kultialogo.errors import Problem
from kultialogo.extensions import db
from kultialogo.nodes import conflicts, tokens
from kultialogo.nodes.models import NodeConflict
from tests import factories as f

from .conftest import audit_rows, make_node


def decided(node_id, kind, record_id, rule, detail=None) -> int:
    with write_transaction():  # the replication's own transaction, in real life
        conflict = conflicts.record(node_id, kind, record_id, rule, detail or {})
        db.session.flush()
        return conflict.id


def conflict(conflict_id) -> NodeConflict:
    db.session.rollback()
    return db.session.get(NodeConflict, conflict_id)


def renamed(node_id, old="amina", new="amina-2") -> tuple[Account, int]:
    """An account from the camp that central renamed because ``old`` was taken."""
    person = f.account(new, community_slug="siena")
    return person, decided(node_id, "account", str(person.uid), conflicts.USERNAME_RENAMED,
                           {"from": old, "to": new, "account": str(person.uid)})


def test_every_rule_is_kept_listed_in_plain_words_and_audited(app, cast, web):
    _token, node = tokens.issue(cast["admin"], f.community("siena"), label="Lake laptop")
    story_id = uuid.uuid4()
    decided(node.id, "story", story_id, conflicts.CENTRAL_MODERATION_WINS, {"status": "hidden"})
    decided(node.id, "story", story_id, conflicts.WITHDRAWAL_WINS)
    decided(node.id, "story", uuid.uuid4(), conflicts.CONTENT_CONFLICT, {"etag": "\"abc\""})
    renamed(node.id)
    page = web("admin").get("/admin/nodes").get_data(as_text=True)
    for words in ("The central server&#39;s moderation decision was kept",
                  "A withdrawal made on one side removed the story on both.",
                  "the text that lost is kept for its author",
                  "The username was taken on both sides, so one account was renamed.",
                  "Renamed from <bdi>amina</bdi> to <bdi>amina-2</bdi>", "Lake laptop",
                  f"/stories/{story_id}", "Give back the username <bdi>amina</bdi>"):
        assert words in page, words
    # Newest first, and the same for the community's facilitator, who may not undo a rename.
    listed = conflicts.listing(cast["facilitator"])
    assert [c.rule for c in listed] == [conflicts.USERNAME_RENAMED, conflicts.CONTENT_CONFLICT,
                                        conflicts.WITHDRAWAL_WINS, conflicts.CENTRAL_MODERATION_WINS]
    facilitator_page = web("facilitator").get("/admin/nodes").get_data(as_text=True)
    assert "A withdrawal made on one side" in facilitator_page and "Give back the username" not in facilitator_page
    # Not another community's facilitator, not a participant.
    assert conflicts.listing(cast["other_facilitator"]) == []
    assert "A withdrawal made on one side" not in web("other_facilitator").get("/admin/nodes").get_data(as_text=True)
    with pytest.raises(Problem):
        conflicts.listing(cast["participant"])
    # The audit log: the rule, the kind and the record's id; the story's id where it is a story.
    events = audit_rows("node.conflict")
    assert len(events) == 4 and all(e.actor_id is None and e.community_id == f.community("siena").id for e in events)
    assert events[0].story_id == story_id
    assert events[0].detail == {"rule": "central_moderation_wins", "kind": "story", "record": str(story_id)}
    assert events[3].story_id is None and "amina" not in repr(events[3].detail)
    assert "Kultialogo (automatic)" in web("admin").get("/admin/audit?action=node.conflict").get_data(as_text=True)


def test_a_rename_is_undone_when_the_name_is_free(app, cast, web):
    _token, node = tokens.issue(cast["admin"], f.community("siena"))
    person, conflict_id = renamed(node.id, old="amira", new="amira-2")  # no one is amira
    browser = web("admin")
    response = browser.post(f"/admin/nodes/conflicts/{conflict_id}/undo", data={"csrf_token": browser.csrf("/admin/nodes")})
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(Account, person.id).username == "amira"
    assert conflict(conflict_id).reversed_at is not None
    [event] = audit_rows("node.rename_undone")
    assert event.actor_id == cast["admin"].id and event.detail == {"subject": person.id, "conflict": conflict_id}
    page = browser.get("/admin/nodes").get_data(as_text=True)
    assert "The account has its username amira again." in page
    assert "Undone on" in page and "Give back the username" not in page
    with pytest.raises(Problem) as again:
        conflicts.undo_rename(cast["admin"], conflict_id)
    assert again.value.code == "rename_not_undoable"


def test_a_rename_is_not_undone_while_someone_else_has_the_name(app, cast, web):
    _token, node = tokens.issue(cast["admin"], f.community("siena"))
    person, conflict_id = renamed(node.id, old="amina")  # cast's amina holds the name
    browser = web("admin")
    response = browser.post(f"/admin/nodes/conflicts/{conflict_id}/undo", data={"csrf_token": browser.csrf("/admin/nodes")})
    assert response.status_code == 302
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "belongs to another account now, so the rename cannot be undone" in page
    db.session.rollback()
    assert db.session.get(Account, person.id).username == "amina-2"
    assert conflict(conflict_id).reversed_at is None and audit_rows("node.rename_undone") == []
    with pytest.raises(Problem) as taken:
        conflicts.undo_rename(cast["admin"], conflict_id)
    assert taken.value.code == "username_taken"


@pytest.mark.parametrize("role", ["facilitator", "participant"])
def test_only_site_admins_undo_a_rename(app, cast, web, role):
    _token, node = tokens.issue(cast["admin"], f.community("siena"))
    person, conflict_id = renamed(node.id, old="free-name")
    browser = web(role)
    response = browser.post(f"/admin/nodes/conflicts/{conflict_id}/undo", data={"csrf_token": browser.csrf("/")})
    assert response.status_code == 403
    db.session.rollback()
    assert db.session.scalar(select(Account.username).where(Account.id == person.id)) == "amina-2"


def test_a_nodes_own_conflicts_are_on_its_admin_page(app, cast, web):
    make_node("siena")
    decided(None, "story", uuid.uuid4(), conflicts.WITHDRAWAL_WINS)
    [event] = audit_rows("node.conflict")
    assert event.community_id == f.community("siena").id
    page = web("facilitator").get("/node/admin").get_data(as_text=True)
    assert "A withdrawal made on one side removed the story on both." in page
    assert [c.rule for c in conflicts.listing(cast["facilitator"])] == [conflicts.WITHDRAWAL_WINS]
    assert conflicts.listing(cast["other_facilitator"]) == []
