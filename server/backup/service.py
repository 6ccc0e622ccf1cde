"""``kultialogo backup`` and ``kultialogo restore``: the database and the media store in one
checked file, and back.

Privacy: a backup holds withdrawn stories as the tombstones the database keeps (their content
was erased and their files deleted when they were withdrawn), so a restore brings back no
withdrawn story. Restoring over a database with ``force``, the withdrawals that database
recorded after the backup was made are applied again, by the app's own withdrawal, and so are
the account deletions (by the app's own account deletion) and the deletions of replies,
reactions, reports, translations and follows (by each kind's own deletion).
"""
import logging
import sqlite3
import tempfile
from pathlib import Path

from flask import current_app
from flask_migrate import upgrade as migrate_upgrade
from sqlalchemy import select, text, update

from .. import records
from ..accounts.models import Account
from ..database import write_transaction
from ..extensions import db
from ..media.models import MediaFile
from ..media.store import get_store
from ..policy import can_withdraw_story
from ..privacy.service import ANONYMISE_STORIES, delete_account
from ..revisions import RevisionBlock, RevisionCounter
from ..stories.models import STATUS_WITHDRAWN, Story
from ..stories.service import REJECTED, withdraw
from ..timeutil import isoformat, utcnow
from . import databases
from .archive import DATABASE_FILES, BackupError, Writer, extract_checked, media_name, remove_tree


def _facts(execute) -> dict:
    """What the manifest says about the database snapshot (``execute(sql)`` returns rows)."""
    def one(sql):
        return execute(sql)[0][0]
    return {
        "schema_revision": one("SELECT version_num FROM alembic_version"),
        "revision_counter": int(one("SELECT value FROM revision_counter WHERE id = 1") or 0),
        "counts": {
            "accounts": int(one("SELECT count(*) FROM accounts")),
            "stories": int(one("SELECT count(*) FROM stories")),
            "withdrawn_stories": int(one(f"SELECT count(*) FROM stories WHERE status = '{STATUS_WITHDRAWN}'")),
            "media_files": int(one("SELECT count(*) FROM media_files")),
        },
        "_media": [row[0] for row in execute("SELECT sha256 FROM media_files ORDER BY sha256")],
    }


def backup(path) -> dict:
    """Write one backup file at ``path``: a consistent copy of the database, the media files
    its snapshot names, and a manifest with every file's SHA-256. Safe while the app runs."""
    path = Path(path)
    if path.is_dir():
        path = path / f"kultialogo-{utcnow().strftime('%Y%m%dT%H%M%SZ')}.tar"
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent}: no such folder.")
    engine = db.engine
    kind = databases.kind_of(engine)
    db.session.remove()
    store = get_store()
    writer = Writer(path)
    try:
        with tempfile.TemporaryDirectory(dir=path.parent, prefix=".kultialogo-backup-") as work:
            dump = Path(work) / DATABASE_FILES[kind]
            if kind == "sqlite":
                databases.sqlite_copy(databases.sqlite_path(engine), dump)
                conn = sqlite3.connect(dump)
                try:
                    facts = _facts(lambda sql: conn.execute(sql).fetchall())
                finally:
                    conn.close()
            else:
                with databases.pg_snapshot(engine) as (conn, snapshot):
                    facts = _facts(lambda sql: conn.execute(text(sql)).all())
                    databases.pg_dump(engine, dump, snapshot)
            writer.add(DATABASE_FILES[kind], dump)
        hashes = facts.pop("_media")
        absent = []
        for sha256 in hashes:
            source = store.local_path(sha256)
            if source is None or not writer.add(media_name(sha256), source):
                absent.append(sha256)  # deleted since the snapshot (a withdrawal): rightly left out
        manifest = writer.close({
            "created_at": isoformat(utcnow()),
            "database": {"kind": kind, "file": DATABASE_FILES[kind], **{k: facts[k] for k in
                                                                        ("schema_revision", "revision_counter")}},
            "counts": {**facts["counts"], "media_files_in_backup": len(hashes) - len(absent)},
            "media_absent": absent,
        })
    except BaseException:
        writer.abort()
        raise
    return {"path": str(path), **manifest}


def _current_state() -> tuple[list[dict], list[tuple[str, str]], int, set[int]]:
    """The target database's tombstones (before it is overwritten): its withdrawn stories and
    the records of other kinds it deleted for real; its revision counter and its account ids."""
    rows = db.session.execute(select(Story.id, Story.author_id).where(Story.status == STATUS_WITHDRAWN)).all()
    buried = [tuple(row) for row in db.session.execute(select(records.Tombstone.kind, records.Tombstone.record_id))]
    counter = db.session.scalar(select(RevisionCounter.value).where(RevisionCounter.id == 1)) or 0
    accounts = set(db.session.scalars(select(Account.id)))
    db.session.rollback()
    return [{"id": row.id, "author_id": row.author_id} for row in rows], buried, int(counter), accounts


def forget_deleted_accounts(current_accounts: set[int]) -> int:
    """Delete again, with the app's own account deletion, the restored accounts the replaced
    database no longer had (account ids are never reused: such an account was deleted after
    the backup). Their stories that were to go are tombstones already (reapply_withdrawals);
    the rest were kept without their name, so the rest is anonymised. Returns how many."""
    gone = [a for a in db.session.scalars(select(Account).order_by(Account.id)) if a.id not in current_accounts]
    for person in gone:
        delete_account(person, person, ANONYMISE_STORIES)
    return len(gone)


def _upgrade() -> None:
    logging.disable(logging.INFO)
    try:
        migrate_upgrade()
    finally:
        logging.disable(logging.NOTSET)


def reapply_withdrawals(tombstones: list[dict], counter: int, buried: list[tuple[str, str]] = ()) -> dict:
    """Withdraw again, with the app's own withdrawal, every story ``tombstones`` lists that the
    restored database still holds, and delete again, with each kind's own deletion
    (records.Kind.bury_again), every reply, reaction, report, translation or follow ``buried``
    names; revisions go on from ``counter`` at least, so phones whose cursor is past the
    backup still pull the tombstones. Returns what was done."""
    done, deleted, missing_actor = 0, 0, []
    with write_transaction():
        db.session.execute(update(RevisionCounter).where(RevisionCounter.id == 1, RevisionCounter.value < counter)
                           .values(value=counter))
        revs = RevisionBlock(db.session)
        for tomb in tombstones:
            story = db.session.get(Story, tomb["id"])
            if story is not None and story.status == STATUS_WITHDRAWN:
                continue
            candidates = [db.session.get(Account, tomb["author_id"]) if tomb["author_id"] else None]
            if story is not None:
                candidates += [story.author, db.session.get(Account, story.recorded_by_id) if story.recorded_by_id else None]
            actor = next((a for a in candidates if a is not None and (story is None or can_withdraw_story(a, story))),
                         None)
            if actor is None:
                if story is None:
                    continue  # never in the backup, and its author neither: nothing of it comes back
                missing_actor.append(str(story.id))
                continue
            if withdraw(actor, tomb["id"], revs=revs, existing=story).result == REJECTED:
                missing_actor.append(str(tomb["id"]))
                continue
            done += 1
        for kind_name, record_id in buried:
            kind = records.get(kind_name)
            if kind is not None and not records.is_buried(kind_name, record_id) and kind.bury_again(record_id, revs):
                deleted += 1
        revs.flush()
    if missing_actor:
        raise BackupError(f"{len(missing_actor)} withdrawal(s) could not be applied again (no account may "
                          f"withdraw them): {', '.join(missing_actor[:5])}. The restored data is in place; "
                          "withdraw these stories by hand before opening the app.")
    return {"withdrawals_reapplied": done, "deletions_reapplied": deleted}


def restore(path, *, force: bool = False) -> dict:
    """Restore a backup file into this app's database and media store.

    The whole file is checked first (every checksum); a damaged file restores nothing. The
    target must be empty (no rows, no stored media) unless ``force``. Ends with the schema
    at head."""
    app = current_app._get_current_object()
    engine = db.engine
    kind = databases.kind_of(engine)
    data_dir = Path(app.config["DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=data_dir, prefix=".restore-"))
    try:
        manifest = extract_checked(Path(path), work)
        source_kind = manifest["database"]["kind"]
        if source_kind != kind:
            raise BackupError(f"This backup holds a {source_kind} database; this app uses {kind}. "
                              "Restore it into a database of the same kind.")
        db.session.remove()
        with engine.connect() as conn:
            filled = databases.non_empty_tables(conn)
        store = get_store()
        stored = sum(1 for _ in store.stored_hashes())
        if (filled or stored) and not force:
            what = ", ".join(f"{n} {t}" for t, n in sorted(filled.items())[:4])
            raise BackupError(
                "The target is not empty (" + "; ".join(filter(None, [what and f"database: {what}",
                                                                      stored and f"{stored} media files"])) +
                "). Restore refuses to overwrite it; use --force to replace it (withdrawals it "
                "recorded are applied again).")
        tombstones, buried, counter, accounts = _current_state() if filled else ([], [], 0, set())
        db.session.remove()
        engine.dispose()
        dump = work / manifest["database"]["file"]
        if kind == "sqlite":
            databases.sqlite_replace(dump, databases.sqlite_path(engine))
        else:
            databases.pg_replace(engine, dump)
        engine.dispose()
        _upgrade()
        media = [n for n in manifest["files"] if n.startswith("media/")]
        for name in media:
            store.put(name.rsplit("/", 1)[1], work / name)
        if stored:  # files of the replaced data that the restored data does not name
            known = set(db.session.scalars(select(MediaFile.sha256)))
            db.session.rollback()
            for sha256 in list(store.stored_hashes()):
                if sha256 not in known:
                    store.delete(sha256)
        result = {"counts": manifest["counts"], "media_restored": len(media), "withdrawals_reapplied": 0,
                  "deletions_reapplied": 0, "accounts_deleted_again": 0}
        if filled:
            result.update(reapply_withdrawals(tombstones, counter, buried))
            result["accounts_deleted_again"] = forget_deleted_accounts(accounts)
        return result
    finally:
        remove_tree(work)
