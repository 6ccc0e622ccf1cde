"""Replies and reactions between a camp node and central (docs/sync.md, Camp nodes): what the
camp wrote arrives once under its ids, central's moderation comes back, one reaction per
person and kind on both sides (central's kept), deletions win, a second sync sends nothing."""
from sqlalchemy import func, select

from kultialogo.extensions import db
from kultialogo.nodes import replication
from kultialogo.replies import service as replies
from kultialogo.replies.models import Reaction, Reply
from tests.nodes.conftest import node, node_app, on_node  # noqa: F401
from tests.nodes.test_node_kinds import central_before_the_camp, conflicts, person


def stored(model, sync_id):
    return db.session.scalar(select(model).where(model.sync_id == sync_id))


def test_replies_and_reactions_go_both_ways_once(app, live_server, node_app):
    siena, told, _others, _event = central_before_the_camp(live_server, node_app)
    # Central: amina already thanked the story (a reaction the camp will make too, another id).
    replies.toggle_reaction(person("amina"), told, "thanks")
    db.session.rollback()
    central_thanks = db.session.scalar(select(Reaction.sync_id))

    def camp():
        _r, reply = replies.add_reply(person("bilal"), told, "Heard it by the fire.")
        _r, gone = replies.add_reply(person("bilal"), told, "A reply taken back.")
        replies.remove_reply(person("bilal"), gone.sync_id)
        replies.toggle_reaction(person("amina"), told, "thanks")
        replies.toggle_reaction(person("bilal"), told, "me_too")
        camp_thanks = db.session.scalar(select(Reaction.sync_id).where(Reaction.kind == "thanks"))
        return reply.sync_id, reply.status, gone.sync_id, camp_thanks
    reply_id, status, gone_id, camp_thanks = on_node(node_app, camp)
    assert status == "pending"  # siena reviews: a participant's reply waits, at the camp too
    on_node(node_app, replication.sync)

    db.session.rollback()
    reply = stored(Reply, reply_id)
    assert (reply.body, reply.status, reply.author_id, reply.story_id) == (
        "Heard it by the fire.", "pending", person("bilal").id, told)
    assert stored(Reply, gone_id) is None
    assert db.session.scalar(select(func.count()).select_from(Reply)) == 1
    # One thanks by amina: central's, the camp's second id deleted (on both sides).
    assert sorted(r.kind for r in db.session.scalars(select(Reaction))) == ["me_too", "thanks"]
    assert stored(Reaction, central_thanks) is not None and stored(Reaction, camp_thanks) is None
    assert ("reaction", "reaction_exists") in conflicts()
    at_camp = on_node(node_app, lambda: sorted(str(r.sync_id) for r in db.session.scalars(
        select(Reaction).where(Reaction.kind == "thanks"))))
    assert at_camp == [str(central_thanks)]

    # Central publishes the reply: the camp learns it; then nothing is sent twice.
    replies.moderate_reply(person("fatima"), reply_id, "publish")
    on_node(node_app, replication.sync)
    assert on_node(node_app, lambda: stored(Reply, reply_id).status) == "published"
    assert on_node(node_app, replication.sync)["records"] == 0

