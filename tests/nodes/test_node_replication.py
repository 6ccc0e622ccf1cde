"""A camp node and central, two instances with their own databases: central a real server
process (SQLite or PostgreSQL), the node a second app on its own SQLite file running the
node's init and sync. Everything made at the camp arrives once under its own id, media byte
for byte; the rules decide the conflicts, and the conflicts are listed."""
import hashlib
import uuid

from sqlalchemy import func, select

from kultialogo.accounts.auth import create_account
from kultialogo.accounts.models import Account
from kultialogo.extensions import db
from kultialogo.media import service as media_service
from kultialogo.media.store import get_store
from kultialogo.moderation import service as moderation
from kultialogo.nodes import replication, tokens
from kultialogo.nodes.models import NodeConflict
from kultialogo.stories import service as stories
from kultialogo.stories.models import Story

from tests import factories
from tests.nodes.conftest import photo, write


def sha_of_stored(sha256: str) -> str:
    return hashlib.sha256(get_store().local_path(sha256).read_bytes()).hexdigest()


def test_a_camp_syncs_once_and_the_rules_decide(app, live_server, node):
    # Central before the camp: a community, a facilitator, a participant and two stories.
    siena = factories.community("siena")
    fatima = factories.account("fatima", community_slug="siena", role="facilitator")
    amina = factories.account("amina", community_slug="siena")
    kept = write(amina, "Before the camp")
    to_withdraw = write(amina, "Told in spring")
    for story_id in (kept, to_withdraw):
        moderation.moderate(fatima, story_id, "publish")
    token, node_token = tokens.issue(fatima, siena, label="Summer camp")

    # The node takes what the camp needs.
    def init():
        link = replication.init(live_server.url, token)
        names = set(db.session.scalars(select(Account.username)))
        titles = set(db.session.scalars(select(Story.title)))
        return link.community_id, names, titles
    community_id, names, titles = node.run(init)
    assert community_id == siena.id
    assert {"fatima", "amina"} <= names
    assert {"Before the camp", "Told in spring"} <= titles

    # Meanwhile on central: someone takes the name "zeynep", and an admin hides a story.
    zeynep_central = create_account("zeynep", factories.PASSWORD)
    # (by a site admin, who is no member of the community: the node must know them too)
    root = factories.account("root", is_admin=True)
    moderation.moderate(root, kept, "hide", reason="off_topic")

    # At the camp: a new participant (the same name), a story with a photo published by the
    # facilitator, an edit of the story central hid, and a withdrawal.
    def camp():
        amina_n = db.session.scalar(select(Account).where(Account.username == "amina"))
        fatima_n = db.session.scalar(select(Account).where(Account.username == "fatima"))
        zeynep = create_account("zeynep", factories.PASSWORD)
        factories.db.session.add(factories.Membership(account_id=zeynep.id, community_id=community_id))
        db.session.commit()
        sha = media_service.ingest_upload(zeynep, photo(1))
        made = write(zeynep, "At the camp", media=[sha])
        moderation.moderate(fatima_n, made, "publish")
        old = db.session.get(Story, kept)
        write(amina_n, "Before the camp, told again", story_id=kept, base_etag=old.etag)
        stories.withdraw_one(amina_n, to_withdraw)
        return made, sha, str(zeynep.uid), sha_of_stored(sha)
    made, sha, zeynep_uid, node_file_sha = node.run(camp)

    summary = node.run(replication.sync)
    assert summary["records"] >= 3

    db.session.expire_all()
    # Made at the camp: once, under its id, published, with the same file.
    story = db.session.get(Story, made)
    assert story is not None and story.title == "At the camp" and story.status == "published"
    assert story.media == [sha] and sha_of_stored(sha) == node_file_sha
    # The camp's zeynep kept her uid and was renamed, visibly; central's zeynep is untouched.
    renamed = db.session.scalar(select(Account).where(Account.uid == uuid.UUID(zeynep_uid)))
    assert renamed.username == "zeynep-2" and renamed.id != zeynep_central.id
    assert db.session.get(Account, zeynep_central.id).username == "zeynep"
    assert story.author_id == renamed.id
    # Central's hide stands; the camp's edit is kept.
    hidden = db.session.get(Story, kept)
    assert hidden.status == "hidden" and hidden.title == "Before the camp, told again"
    # The withdrawal made at the camp wins: the content is gone on central.
    gone = db.session.get(Story, to_withdraw)
    assert gone.status == "withdrawn" and gone.title == "" and gone.body == ""
    rules = {(c.rule, c.kind) for c in db.session.scalars(select(NodeConflict))}
    assert ("username_renamed", "account") in rules and ("central_moderation_wins", "story") in rules

    # The node learned the outcome: the rename and central's hide.
    def after():
        story = db.session.get(Story, kept)
        moderator = db.session.get(Account, story.moderated_by_id) if story.moderated_by_id else None
        return (db.session.scalar(select(Account.username).where(Account.uid == uuid.UUID(zeynep_uid))),
                story.status, moderator.username if moderator else None)
    assert node.run(after) == ("zeynep-2", "hidden", "root")

    # Syncing again sends nothing and doubles nothing.
    count = db.session.scalar(select(func.count()).select_from(Story))
    again = node.run(replication.sync)
    assert again["records"] == 0, again
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Story)) == count
    assert node_token.id is not None
