"""A camp with no network at all: a file for a USB stick (docs/sync.md, Camp nodes).

``export`` writes, on the node, everything central has not acknowledged (what a push would send:
accounts, then every kind's records; media first), in the signed and checksummed format of
bundle.py. ``import_file`` applies it on central by the very rules of a push, so importing twice,
or importing and then syncing, stores everything once. The whole file is verified before
anything is applied: a tampered or truncated file imports nothing.

The signature's key derives from the node token's SHA-256, which is all central keeps of it.
"""
import os
from pathlib import Path

from .. import limits, records
from ..errors import Problem
from ..extensions import db
from ..media.models import MediaFile
from ..media.store import SHA256_RE, get_store
from ..sync import engine
from . import bundle, replication
from .models import NodeToken
from .peers import CentralAtNode, NodeAtCentral

# What a refused file is told, by the bundle's reason (errors.MESSAGES, translated).
REFUSALS = {"truncated": "bundle_damaged", "bad_checksum": "bundle_damaged", "bad_signature": "bundle_damaged",
            "not_a_bundle": "bundle_unknown", "unsupported_version": "bundle_unknown", "too_large": "bundle_unknown",
            "wrong_node": "bundle_wrong_node"}


def export(path: Path, *, progress=None) -> dict:
    """Write this node's unacknowledged records and their media to ``path`` (replaced atomically)."""
    row = replication.link()
    if row is None:
        raise Problem("not_a_node", status=409)
    peer = CentralAtNode(row)
    hashes: dict[str, None] = {}
    for fresh, _last in replication.local_changes(peer, row.push_revision):  # first pass: the files named
        for replica in fresh:
            hashes.update(dict.fromkeys(replication.media_named(replica)))

    def media():
        store = get_store()
        for sha256 in hashes:
            found = db.session.get(MediaFile, sha256) if SHA256_RE.match(sha256) else None
            local = store.local_path(sha256) if found is not None else None
            if local is not None and local.exists():
                yield sha256, found.content_type, local

    def chunks():
        for chunk in replication.chunks(replication.changed_accounts(row)):
            yield {"items": replication.as_items(chunk)}
        for fresh, _last in replication.local_changes(peer, row.push_revision):
            for chunk in replication.chunks(fresh):
                yield {"items": replication.as_items(chunk)}

    header = {"node": row.node_id, "label": row.label, "community": row.community_id}
    partial = path.with_name(path.name + ".part")
    with open(partial, "wb") as out:
        summary = bundle.write_bundle(out, key=bundle.derive_key(row.token), header=header, chunks=chunks(),
                                      media=media(), progress=progress)
        out.flush()
        os.fsync(out.fileno())  # on the stick before anyone pulls it out
    os.replace(partial, path)
    return summary


def _key_for(header: dict) -> bytes | None:
    node_id = header.get("node")
    token = db.session.get(NodeToken, node_id) if isinstance(node_id, int) else None
    if token is None or token.revoked_at is not None:
        return None
    return bundle.key_from_token_hash(token.token_hash)


def import_file(path: Path, *, progress=None, may_import=lambda token: True) -> dict:
    """Verify the whole file, then apply it; returns counts. Problem when refused (nothing
    applied). ``may_import(token)``: whether the person importing may, for that node's community."""
    try:
        header = bundle.verify_bundle(path, key_for=_key_for, progress=progress)
    except bundle.BundleError as exc:
        raise Problem(REFUSALS.get(exc.code, "bundle_damaged"), status=422) from None
    token = db.session.get(NodeToken, header["node"])
    if not may_import(token):
        raise Problem("forbidden", status=403)
    peer_token_id = token.id
    counts = {"items": 0, "media": 0, **{result: 0 for result in (records.CREATED, records.UPDATED,
                                                               records.UNCHANGED, records.CONFLICT,
                                                               records.REJECTED, records.MEDIA_MISSING)}}
    from . import media as node_media  # late: Pillow and PyAV load only when files come
    try:
        for kind, value in bundle.read_bundle(path, key=_key_for(header), tmp_dir=get_store().tmp):
            if kind == "media":
                sha256, _content_type, tmp = value  # its bytes checked against the frame's checksum
                node_media.keep(sha256, tmp)
                counts["media"] += 1
            else:
                token = db.session.get(NodeToken, peer_token_id)
                answers = engine.push(NodeAtCentral(token), value["items"], max_items=limits.NODE_PUSH_MAX_ITEMS)
                for _item, result in answers:
                    counts["items"] += 1
                    counts[result.result] = counts.get(result.result, 0) + 1
    except bundle.BundleError as exc:  # changed since it was verified: what came before stands (idempotent)
        raise Problem(REFUSALS.get(exc.code, "bundle_damaged"), status=422) from None
    return {"node": header.get("label") or header["node"], **counts}

