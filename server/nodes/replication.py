"""A camp node's side of replication: init, push, pull (docs/sync.md, Camp nodes).

Everything goes through the sync engine on both sides: central applies the node's replicas
as a push from a peer, and the node applies central's replicas (its pulls, and the answers to
its pushes) as a push from central into its own engine. Nothing is loaded whole: local changes
are read a chunk at a time by revision, central's a page at a time by cursor, media one file
at a time. Checkpoints (NodeLink.push_revision and pull_cursor) move only after a chunk is
acknowledged or a page applied, so a cut or a crash repeats at most one chunk.
"""
import hashlib
import json
import time
import uuid
from datetime import date

from flask import current_app
from sqlalchemy import select

from .. import records
from ..accounts import records as account_records
from ..communities.models import Community
from ..database import write_transaction
from ..events.models import Event
from ..extensions import db
from ..media.models import MediaFile
from ..media.store import SHA256_RE, get_store
from ..revisions import current_revision
from ..sync import engine
from ..sync.service import PROTOCOL_VERSION, decode_cursor
from ..timeutil import isoformat, utcnow
from .client import CentralError, Client
from .models import NodeDigest, NodeLink
from .peers import CentralAtNode

CHUNK_ITEMS = 500              # records per push (central's NODE_PUSH_MAX_ITEMS)
CHUNK_BYTES = 4 * 1024 * 1024  # and at most this much JSON
PULL_PAGE = 500


def digest(replica: dict) -> str:
    plain = {k: v for k, v in replica.items() if k != "base"}
    return hashlib.sha256(json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                          .encode()).hexdigest()


def replicated_kinds() -> tuple[str, ...]:
    return tuple(name for name in records.names() if records.get(name).replicated and name != "account")


# Records that others name go first within a chunk or page: a translation, a report or a told
# line names its story, which may have a later revision (publishing a translation renews its
# story's), and each side refuses a record whose story it does not hold yet.
FIRST = ("account", "story", "help_request")  # a help message names its request


def _rank(replica: dict) -> int:
    return FIRST.index(replica["type"]) if replica["type"] in FIRST else len(FIRST)


def in_order(replicas: list[dict]) -> list[dict]:
    """The same replicas, stories (and accounts) before the records that name them."""
    return sorted(replicas, key=_rank)


WAITING = ("unknown_story", "unknown_help_request")


def waits_for_its_story(answer: dict) -> bool:
    """Refused because the story (or help request) it names is not there yet: it is in a later
    chunk or page, so the record is sent (or applied) again once that has gone."""
    return answer.get("result") == records.REJECTED and (answer.get("error") or {}).get("code") in WAITING


def link() -> NodeLink | None:
    return db.session.get(NodeLink, 1)


class Progress:
    """Counts for the command line's bar and the node's admin page (NodeLink.progress)."""

    def __init__(self, on_change=None):
        self.phase, self.records, self.bytes, self.total = "", 0, 0, None
        # Pushed and pulled records; "repeated": pushed ones central already had (answered
        # unchanged), which after a crash is the part of a chunk sent again.
        self.counts = {"pushed": 0, "pulled": 0, "repeated": 0}
        self.started = time.monotonic()
        self.started_at = isoformat(utcnow())
        self.on_change = on_change or (lambda progress: None)
        self._saved = 0.0

    def add(self, records_done: int = 0, bytes_done: int = 0) -> None:
        self.records += records_done
        self.bytes += bytes_done
        self.on_change(self)

    def start(self, phase: str, remaining: int | None = None) -> None:
        """A new phase; ``remaining``: at most how many records it has (for the time left)."""
        self.phase = phase
        self.total = None if remaining is None else self.records + remaining
        self.on_change(self)

    def expect(self, remaining: int) -> None:
        """A better bound on what is left of this phase, as it becomes known."""
        self.total = self.records + max(remaining, 0)
        self.on_change(self)

    def as_dict(self) -> dict:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return {"phase": self.phase, "records_done": self.records, "records_total": self.total,
                "bytes_done": self.bytes, "bytes_total": None, "started_at": self.started_at,
                "updated_at": isoformat(utcnow()), "rate": round(self.records / elapsed, 1)}

    def save(self, force: bool = False) -> None:
        """Onto the node's admin page, at most once a second."""
        now = time.monotonic()
        if force or now - self._saved >= 1:
            self._saved = now
            with write_transaction():
                row = link()
                if row is not None:
                    row.progress = self.as_dict()


# --- Applying central's records here ------------------------------------------------------

def _bases(kind_ids: list[tuple[str, str]]) -> dict[tuple[str, str], NodeDigest]:
    out = {}
    for kind in {k for k, _ in kind_ids}:
        ids = [i for k, i in kind_ids if k == kind]
        for start in range(0, len(ids), 500):
            for row in db.session.scalars(select(NodeDigest).where(
                    NodeDigest.kind == kind, NodeDigest.record_id.in_(ids[start:start + 500]))):
                out[(row.kind, row.record_id)] = row
    return out


def _secret_hash(replica: dict) -> str | None:
    secret = replica.get("password_hash") or ""
    return hashlib.sha256(secret.encode()).hexdigest() if secret else None


def remember(replicas: list[dict]) -> None:
    """Both sides now hold these replicas: note their digests and bases (in the caller's
    transaction). An account is remembered without its secret, and a hash of the secret
    apart, so that only a secret changed here travels back."""
    known = _bases([(r["type"], r["id"]) for r in replicas])
    for replica in replicas:
        kind = records.get(replica["type"])
        key = (replica["type"], replica["id"])
        row = known.get(key)
        if replica["type"] == "account":
            secret = _secret_hash(replica)
            base = {"secret": secret} if secret else (row.base if row is not None else {})
            replica = {**replica, "password_hash": ""}
        else:
            base = kind.base_of(replica) if kind else {}
        if row is None:
            row = NodeDigest(kind=key[0], record_id=key[1], digest=digest(replica), base=base)
            db.session.add(row)
            known[key] = row
        else:
            row.digest, row.base = digest(replica), base


def apply_from_central(peer, replicas: list[dict]) -> list[dict]:
    """Apply central's replicas through this node's engine (stories before the records that
    name them); returns the answers, in the order given. A replica whose media are missing here
    is answered so; the caller fetches them and applies it again."""
    if not replicas:
        return []
    order = sorted(range(len(replicas)), key=lambda i: _rank(replicas[i]))
    replicas = [replicas[i] for i in order]
    known = _bases([(r["type"], r["id"]) for r in replicas])
    items = []
    for replica in replicas:
        row = known.get((replica["type"], replica["id"]))
        data = {k: v for k, v in replica.items() if k not in ("type", "id")}
        data["base"] = row.base if row is not None else {}
        items.append({"type": replica["type"], "op": records.REPLICATE, "id": replica["id"], "data": data})
    answers = [engine.answer(a, PROTOCOL_VERSION) for a in engine.push(peer, items, max_items=len(items))]
    agreed = [r for r, a in zip(replicas, answers) if a["result"] in records.ACKNOWLEDGED + (records.CONFLICT,)]
    with write_transaction():
        remember(agreed)
    given = [None] * len(answers)
    for position, answer in zip(order, answers):
        given[position] = answer
    return given


# --- Init ---------------------------------------------------------------------------------------

def _day(value):
    return date.fromisoformat(value) if value else None


def take_bootstrap(boot: dict, peer) -> None:
    """The community and its events as central has them (same ids), then its accounts."""
    c = boot["community"]
    with write_transaction():
        db.session.merge(Community(id=c["id"], slug=c["slug"], names=c["names"], description=c["description"],
                                   default_language=c["default_language"], moderation=c["moderation"],
                                   reports_to_hide=c["reports_to_hide"]))
        db.session.flush()
        for e in boot["events"]:
            event = db.session.get(Event, e["id"])
            if event is None:
                event = Event(id=e["id"], community_id=c["id"], attendance_id=uuid.UUID(e["attendance_id"]))
                db.session.add(event)
            event.kind, event.title, event.place = e["kind"], e["title"], e["place"]
            event.starts_on, event.ends_on = _day(e["starts_on"]), _day(e["ends_on"])
    apply_from_central(peer, boot["accounts"])


def init(central_url: str, token: str, *, progress: Progress | None = None) -> NodeLink:
    """Link this (empty) node to central, and take what the camp needs before leaving."""
    client = Client(central_url, token)
    try:
        return _init(client, central_url, token, progress)
    finally:
        client.close()


def _init(client: Client, central_url: str, token: str, progress) -> NodeLink:
    boot = client.json("GET", "/api/v1/node/bootstrap")
    with write_transaction():
        row = link() or NodeLink(id=1)
        row.central_url, row.token = central_url.rstrip("/"), token
        row.community_id, row.event_id = boot["community"]["id"], boot["node"].get("event")
        row.node_id = boot["node"]["id"]
        row.label = boot["node"].get("label") or ""
        row.push_revision = row.push_revision or 0
        row.pull_cursor = row.pull_cursor or ""
        row.progress, row.last_error = {}, ""
        db.session.add(row)
    row = link()
    take_bootstrap(boot, CentralAtNode(row))
    pull(row, client, progress or Progress())
    return link()


# --- Push ---------------------------------------------------------------------------------------

def local_changes(peer, since: int):
    """This node's changes after ``since`` that central does not hold yet, a page at a time:
    (replicas, last revision read)."""
    kinds = replicated_kinds()
    while True:
        page, more, last = engine.pull(peer, since, PULL_PAGE, kinds)
        known = _bases([(r["type"], r["id"]) for r in page])
        fresh = [r for r in page if (row := known.get((r["type"], r["id"]))) is None or row.digest != digest(r)]
        for replica in fresh:
            row = known.get((replica["type"], replica["id"]))
            replica["base"] = row.base if row is not None else {}
        yield in_order(fresh), last
        if not more:
            return
        since = last


def chunks(replicas: list[dict]):
    chunk, size = [], 0
    for replica in replicas:
        body = json.dumps(replica, separators=(",", ":"))
        if chunk and (len(chunk) >= CHUNK_ITEMS or size + len(body) > CHUNK_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(replica)
        size += len(body)
    if chunk:
        yield chunk


def push_body(replicas: list[dict]) -> dict:
    """A push to central of these replicas, saying the version this node speaks."""
    return {"items": as_items(replicas), "protocol": PROTOCOL_VERSION}


def as_items(replicas: list[dict]) -> list[dict]:
    return [{"type": r["type"], "op": records.REPLICATE, "id": r["id"],
             "data": {k: v for k, v in r.items() if k not in ("type", "id")}} for r in replicas]


def media_named(replica: dict) -> list:
    """The files a replica names: a story's in its content, a reply's or help record's beside
    its words."""
    found = (replica.get("content") or {}).get("media") or replica.get("media") or []
    return [h for h in found if isinstance(h, str)]


def send_media(client: Client, hashes, progress: Progress) -> None:
    """Upload the files these records name that central lacks (asked once for the chunk)."""
    store = get_store()
    wanted = [h for h in dict.fromkeys(hashes) if isinstance(h, str) and SHA256_RE.match(h)]
    if not wanted:
        return
    for sha256 in client.json("POST", "/api/v1/node/media/missing", {"hashes": wanted})["missing"]:
        if not SHA256_RE.match(sha256):
            continue
        media = db.session.get(MediaFile, sha256)
        path = store.local_path(sha256)
        if media is None or path is None or not path.exists():
            continue  # central answers media_missing; the story waits here until the file exists
        sent = client.put_file(f"/api/v1/node/media/{sha256}", path, {
            "Content-Type": media.content_type, "X-Content-SHA256": sha256_file(path)})
        progress.add(bytes_done=sent)


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            h.update(chunk)
    return h.hexdigest()


def changed_accounts(row: NodeLink) -> list[dict]:
    """Accounts made or changed here (by digest), whole; a secret only when it changed here."""
    changed = []
    replicas = account_records.replica_list(row.community_id, secrets_for=lambda a: True)
    known = _bases([("account", r["id"]) for r in replicas])
    for replica in replicas:
        old = known.get(("account", replica["id"]))
        bare = {**replica, "password_hash": ""}
        secret = _secret_hash(replica) if replica["password_hash"] != account_records.UNUSABLE else None
        secret_changed = secret is not None and (old is None or old.base.get("secret") != secret)
        if old is None or old.digest != digest(bare) or secret_changed:
            changed.append(replica if secret_changed else bare)
    return changed


def push_accounts(row: NodeLink, client: Client, progress: Progress) -> None:
    for chunk in chunks(changed_accounts(row)):
        answer = client.json("POST", "/api/v1/node/push", push_body(chunk))
        _check_answers(chunk, answer)
        _take_answers(row, chunk, answer, progress)
        with write_transaction():  # what was sent is what both now hold (secret included)
            remember([r for r, a in zip(chunk, answer["results"]) if a["result"] in records.ACKNOWLEDGED])
        progress.add(records_done=len(chunk))


def _check_answers(chunk, answer) -> None:
    results = answer.get("results")
    if not isinstance(results, list) or len(results) != len(chunk):
        raise CentralError("central answered a push with the wrong number of results")


def _take_answers(row: NodeLink, chunk: list[dict], answer: dict, progress: "Progress | None" = None) -> None:
    """Central's records as they now stand (renames, central's moderation) apply here too; an
    answer without a record means central holds exactly what was sent."""
    if progress is not None:
        progress.counts["pushed"] += len(answer["results"])
        progress.counts["repeated"] += sum(r["result"] == records.UNCHANGED for r in answer["results"])
    taken = records.ACKNOWLEDGED + (records.CONFLICT,)
    back = [r["record"] for r in answer["results"] if r.get("record") and r["result"] in taken]
    same = [sent for sent, r in zip(chunk, answer["results"]) if not r.get("record") and r["result"] in taken]
    apply_from_central(CentralAtNode(row), back)
    if same:
        with write_transaction():
            remember(same)


def _push_chunk(row: NodeLink, client: Client, chunk: list[dict], progress: Progress) -> list[dict]:
    """Send one chunk (its media first); returns the replicas central refused for a story it
    does not hold yet."""
    send_media(client, [h for r in chunk for h in media_named(r)], progress)
    answer = client.json("POST", "/api/v1/node/push", push_body(chunk))
    _check_answers(chunk, answer)
    _take_answers(row, chunk, answer, progress)
    progress.add(records_done=len(chunk))
    progress.save()
    return [r for r, a in zip(chunk, answer["results"]) if waits_for_its_story(a)]


def push(row: NodeLink, client: Client, progress: Progress) -> None:
    # Revisions after the checkpoint bound the records to send (a record changed twice counts twice).
    progress.start("push", current_revision(db.session) - row.push_revision)
    push_accounts(row, client, progress)
    # Then everyone central knows (its renames included): central's answers below may name a
    # person made or changed there meanwhile (a site admin's moderation), and must find them here.
    take_bootstrap(client.json("GET", "/api/v1/node/bootstrap"), CentralAtNode(link()))
    row = link()
    peer = CentralAtNode(row)
    waiting: list[dict] = []  # records whose story goes in a later chunk
    last = None
    for fresh, last in local_changes(peer, row.push_revision):
        for chunk in chunks(fresh):
            waiting += _push_chunk(row, client, chunk, progress)
        if not waiting:  # the checkpoint never passes a record still to be sent
            with write_transaction():
                link().push_revision = last
        row = link()
        progress.expect(current_revision(db.session) - last)
    if waiting:
        for chunk in chunks(waiting):
            _push_chunk(row, client, chunk, progress)
        with write_transaction():
            link().push_revision = last


# --- Pull ---------------------------------------------------------------------------------------

def fetch_media(client: Client, hashes, progress: Progress) -> None:
    from . import media as node_media  # late: Pillow and PyAV load only when files come
    store = get_store()
    for sha256 in dict.fromkeys(hashes):
        if not SHA256_RE.match(sha256):
            continue
        if node_media.held(sha256) is not None:
            continue
        scratch = store.scratch_file()
        try:
            size = client.download(f"/api/v1/node/media/{sha256}", scratch)  # whole, or CentralError
            node_media.keep(sha256, scratch)
            progress.add(bytes_done=size)
        except CentralError:
            continue  # gone on central meanwhile (withdrawn): the story's replica says so next
        finally:
            scratch.unlink(missing_ok=True)


def pull(row: NodeLink, client: Client, progress: Progress) -> None:
    progress.start("pull")
    peer = CentralAtNode(row)
    kinds = ",".join(replicated_kinds())
    cursor = row.pull_cursor
    waiting: list[dict] = []  # central's records whose story comes in a later page
    while True:
        page = client.json("GET", "/api/v1/node/pull",
                           params={"cursor": cursor, "limit": PULL_PAGE, "kinds": kinds})
        items = page.get("items") or []
        fetch_media(client, [h for r in items for h in media_named(r)], progress)
        answers = apply_from_central(peer, waiting + items)
        waiting = [r for r, a in zip(waiting + items, answers) if waits_for_its_story(a)]
        progress.counts["pulled"] += len(items)
        cursor = page["cursor"]
        if not waiting or not page.get("more"):  # the checkpoint never passes a record not applied
            with write_transaction():
                link().pull_cursor = cursor
        if isinstance(page.get("head"), int):  # central's latest revision bounds what is left
            progress.expect(len(items) + page["head"] - decode_cursor(cursor))
        progress.add(records_done=len(items))
        progress.save()
        if not page.get("more"):
            return


def sync(*, progress: Progress | None = None) -> dict:
    """Push (accounts, then central's community, events and people, then records), then pull."""
    row = link()
    if row is None:
        raise CentralError("This is not a camp node yet: run `kultialogo node init` first.")
    progress = progress or Progress()
    client = Client(row.central_url, row.token, pause=current_app.config.get("NODE_RETRY_PAUSE_S", 0.25))
    try:
        push(row, client, progress)
        pull(link(), client, progress)
    except CentralError as exc:
        with write_transaction():
            link().last_error = str(exc)
            link().progress = {**progress.as_dict(), "phase": "failed"}
        raise
    finally:
        client.close()
    progress.phase = "done"
    with write_transaction():
        row = link()
        row.last_sync_at, row.last_error = utcnow(), ""
        row.progress = progress.as_dict()
    return {"records": progress.records, "bytes": progress.bytes, **progress.counts,
            "bytes_sent": client.bytes_sent, "bytes_received": client.bytes_received}
