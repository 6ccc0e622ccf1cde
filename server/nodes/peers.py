"""The two Peers of a replication (kultialogo.records.Peer): a camp node as central sees it,
and central as a node sees it. They keep the conflicts decided and, on central, the echoes."""
from sqlalchemy import insert, select

from .. import records
from ..extensions import db
from . import conflicts
from .models import NodeEcho, NodeLink, NodeToken


class NodeAtCentral(records.Peer):
    """On central: a camp node pushing or pulling with its token."""

    def __init__(self, token: NodeToken):
        super().__init__(community_id=token.community_id, event_id=token.event_id, from_central=False,
                         node_id=token.id,
                         note_conflict=lambda *args: conflicts.record(token.id, *args))

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
                         note_conflict=lambda *args: conflicts.record(None, *args))
