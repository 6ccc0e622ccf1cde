"""The two Peers of a replication (kultialogo.records.Peer): a camp node as central sees it,
and central as a node sees it. They keep the conflicts decided and, on central, the echoes."""
import uuid

from sqlalchemy import insert, select

from .. import audit, records
from ..extensions import db
from .models import NodeConflict, NodeEcho, NodeLink, NodeToken


def note_conflict(node_id, kind: str, record_id: str, rule: str, detail: dict) -> None:
    """Listed on the admin pages (nodes.conflicts) and in the audit log, in the caller's transaction."""
    db.session.add(NodeConflict(node_id=node_id, kind=kind, record_id=record_id, rule=rule, detail=detail))
    audit.record("node.conflict", None, story_id=uuid.UUID(record_id) if kind == "story" else None,
                 rule=rule, kind=kind, record=record_id, node=node_id)


class NodeAtCentral(records.Peer):
    """On central: a camp node pushing or pulling with its token."""

    def __init__(self, token: NodeToken):
        super().__init__(community_id=token.community_id, event_id=token.event_id, from_central=False,
                         node_id=token.id,
                         note_conflict=lambda *args: note_conflict(token.id, *args))

    def pushed(self, revisions: range) -> None:
        if len(revisions):
            db.session.execute(insert(NodeEcho), [{"node_id": self.node_id, "revision": r} for r in revisions])

    def echoed(self, revisions: list[int]) -> set[int]:
        if not revisions:
            return set()
        return set(db.session.scalars(select(NodeEcho.revision).where(
            NodeEcho.node_id == self.node_id, NodeEcho.revision.in_(revisions))))


class CentralAtNode(records.Peer):
    """On a node: central's records being applied here, and the node's own scope when it reads
    its local changes to push (replicas() of the same community)."""

    def __init__(self, link: NodeLink):
        super().__init__(community_id=link.community_id, event_id=link.event_id, from_central=True,
                         note_conflict=lambda *args: note_conflict(None, *args))
