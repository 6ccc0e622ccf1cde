"""Simulated phones: plain Python clients of the sync protocol (docs/sync.md), as the PWA's outbox is.

Shared by tests/faults/ and bench/faults.py. A phone holds an outbox of records of every kind a
participant makes (a story, its translation, a reaction and a reply under it, a follow of it, a
request for help and a message in it), each with an id the phone made. It pushes the head of the
outbox in batches and drops an item only when the server acknowledged it (created, updated or
unchanged); a cut, a dropped connection, a 502/503/429 or a server that is not there means the
same batch is sent again, after a backoff. It pulls with the cursor the server gives, keeping the
cursor only from an answer it received whole.

``check_database`` then counts, in the database itself, every record the phones made: each must
be there exactly once (by id, and by its text, which is unique per record: a copy stored under
another id would show).
"""
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import requests

from kultialogo.records import uuid7

PUSH = "/api/v1/sync/push"
PULL = "/api/v1/sync/pull"
ACKNOWLEDGED = ("created", "updated", "unchanged")
RETRIED_STATUSES = (429, 502, 503, 504)  # "retry 5xx" in the contract; a 500 is a server bug, counted apart
KINDS = ("story", "translation", "reaction", "reply", "follow", "help_request", "help_message")
COMMUNITY = "camp"
GIVE_UP_S = 600  # one request failing this long is not the network nor a restart: stop and say so


def prepare_cast(phones: int) -> list[str]:
    """In an app context: a trusted community and one participant per phone; their tokens."""
    from kultialogo.accounts.auth import create_account, issue_token
    from kultialogo.accounts.models import Membership
    from kultialogo.communities.models import Community
    from kultialogo.extensions import db

    community = Community(slug=COMMUNITY, names={"en": "Camp"}, default_language="en", moderation="trusted")
    db.session.add(community)
    db.session.commit()
    tokens = []
    for n in range(phones):
        account = create_account(f"phone{n}", "correct horse battery", f"Phone {n}")
        db.session.add(Membership(account_id=account.id, community_id=community.id, role="participant"))
        db.session.commit()
        tokens.append(issue_token(account, f"phone {n}")[0])
    return tokens


def make_records(phone: int, count: int) -> list[dict]:
    """``count`` push items of mixed kinds, a record after the one it names (the outbox's order)."""
    items: list[dict] = []
    unit = 0
    while len(items) < count:
        tag = f"phone {phone} unit {unit}"
        # Odd phones make a story's id time first, as the PWA does; even ones random, as older
        # clients did (docs/sync.md, Ids): both are stored once.
        story, request = str(uuid7() if phone % 2 else uuid.uuid4()), str(uuid.uuid4())
        items += [
            {"type": "story", "op": "upsert", "id": story, "base_etag": None, "data": {
                "title": f"Story of {tag}", "body": f"The evening we arrived ({tag}).", "language": "en",
                "community": COMMUNITY, "visibility": "community", "author_display": "pseudonym",
                "consent": {"kind": "self", "recorded_by": None, "at": None}, "media": [],
                "created_at": "2026-07-14T10:02:00Z"}},
            {"type": "translation", "op": "upsert", "id": str(uuid.uuid4()), "data": {
                "story": story, "language": "it", "title": f"Storia di {tag}", "body": f"La sera ({tag}).",
                "translator_display": "pseudonym"}},
            {"type": "reaction", "op": "upsert", "id": str(uuid.uuid4()), "data": {"story": story, "kind": "me_too"}},
            {"type": "reply", "op": "upsert", "id": str(uuid.uuid4()), "data": {"story": story, "body": f"Reply ({tag})"}},
            {"type": "follow", "op": "upsert", "id": str(uuid.uuid4()), "data": {"story": story}},
            {"type": "help_request", "op": "upsert", "id": request, "data": {
                "community": COMMUNITY, "topic": "housing", "language": "en", "body": f"Help ({tag})"}},
            {"type": "help_message", "op": "upsert", "id": str(uuid.uuid4()), "data": {
                "request": request, "body": f"Message ({tag})"}},
        ]
        unit += 1
    return items[:count]


def text_of(item: dict) -> str | None:
    """The unique text an item carries (None for the kinds without one)."""
    data = item["data"]
    return data.get("body") if item["type"] not in ("reaction", "follow") else None


@dataclass
class Tally:
    """What one phone saw."""
    acknowledged: dict = field(default_factory=dict)   # id -> the first acknowledging result
    created: Counter = field(default_factory=Counter)  # id -> how many answers said "created"
    refused: list = field(default_factory=list)        # results that were neither (a bug here)
    attempts: int = 0
    failures: Counter = field(default_factory=Counter)  # why a request was sent again
    server_errors: list = field(default_factory=list)  # 500s: never expected
    pulled: Counter = field(default_factory=Counter)   # (type, id) -> times seen in pulls


class Phone:
    """One phone's outbox and its sync loop. ``on_ack(n)`` is told after each acknowledged batch."""

    def __init__(self, base_url: str, token: str, items: list[dict], batch: int = 20, *,
                 seed: int = 0, on_ack=None, pull_every: int = 0, stop: threading.Event | None = None,
                 timeout: float = 30):
        self.base_url, self.batch, self.timeout = base_url, batch, timeout
        self.outbox = list(items)
        self.items = list(items)
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.rng = random.Random(seed)
        self.on_ack = on_ack
        self.pull_every = pull_every
        self.stop = stop or threading.Event()
        self.tally = Tally()
        self.cursor: str | None = None
        self.error: BaseException | None = None
        self.failing_since = 0.0

    # --- the outbox ------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> None:
        # Exponential backoff with jitter, as the PWA (shortened: 10 ms doubling to 0.5 s). This is
        # the client's retry pause, not synchronisation: nothing waits on it to be "long enough".
        if attempt == 0:
            self.failing_since = time.monotonic()
        elif time.monotonic() - self.failing_since > GIVE_UP_S:
            raise AssertionError(f"{attempt} attempts in a row failed: {dict(self.tally.failures)}")
        self.stop.wait(min(0.5, 0.01 * 2 ** min(attempt, 6)) * (0.5 + self.rng.random()))

    def _send(self, method: str, path: str, **kwargs):
        """One request; None when it must be sent again (cut, dropped, refused connection, 5xx)."""
        self.tally.attempts += 1
        try:
            response = self.session.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
            if response.status_code == 200:
                body = response.json()  # a cut body fails here, or in requests before it
        except (requests.RequestException, ValueError) as exc:
            self.tally.failures[type(exc).__name__] += 1
            return None
        if response.status_code in RETRIED_STATUSES:
            self.tally.failures[str(response.status_code)] += 1
            return None
        if response.status_code >= 500:  # a bug in the server: said at once, never retried away
            self.tally.server_errors.append((path, response.status_code, response.text[:300]))
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        if response.status_code != 200:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return body

    def push_all(self) -> None:
        pushes = 0
        while self.outbox and not self.stop.is_set():
            batch = self.outbox[:self.batch]
            attempt = 0
            while (body := self._send("POST", PUSH, json={"items": batch})) is None:
                if self.stop.is_set():
                    return
                self._backoff(attempt)
                attempt += 1
            results = body["results"]
            assert [r["id"] for r in results] == [i["id"] for i in batch], "results out of order"
            acked = 0
            for item, result in zip(batch, results):
                if result["result"] == "created":
                    self.tally.created[item["id"]] += 1
                if result["result"] in ACKNOWLEDGED:
                    self.tally.acknowledged.setdefault(item["id"], result["result"])
                    acked += 1
                else:
                    self.tally.refused.append((item["type"], item["id"], result["result"], result.get("error")))
            # Every item of the batch was answered: acknowledged ones leave the outbox; a refused one
            # would need the person's attention (the PWA keeps it aside), never a silent drop.
            self.outbox = self.outbox[len(batch):]
            if self.on_ack:
                self.on_ack(acked)
            pushes += 1
            if self.pull_every and pushes % self.pull_every == 0:
                self.pull_to_end()

    # --- pull --------------------------------------------------------------------------------

    def pull_to_end(self, limit: int = 100) -> None:
        """Pull from this phone's cursor until ``more`` is false; a failed page is asked again."""
        while not self.stop.is_set():
            params = {"kinds": ",".join(KINDS), "limit": limit}
            if self.cursor:
                params["cursor"] = self.cursor
            attempt = 0
            while (page := self._send("GET", PULL, params=params)) is None:
                if self.stop.is_set():
                    return
                self._backoff(attempt)
                attempt += 1
            for item in page["items"]:
                self.tally.pulled[(item["type"], item["id"])] += 1
            self.cursor = page["cursor"]
            if not page["more"]:
                return

    def _guarded(self, step) -> None:
        try:
            step()
        except BaseException as exc:  # noqa: BLE001 - re-raised by run_phones in the main thread
            self.error = exc


def _in_threads(phones: list[Phone], step) -> None:
    threads = [threading.Thread(target=p._guarded, args=(getattr(p, step),), name=f"phone-{n}")
               for n, p in enumerate(phones)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for phone in phones:
        if phone.error is not None:
            raise phone.error


def run_phones(phones: list[Phone]) -> None:
    """Every phone in its own thread empties its outbox (pulling now and then); once all are done,
    each pulls to the end of its cursor, so that it can have seen everything. Re-raises a phone's error."""
    _in_threads(phones, "push_all")
    _in_threads(phones, "pull_to_end")


def check_phones(phones: list[Phone]) -> dict:
    """What the phones themselves can tell: every item acknowledged, none refused, "created"
    answered at most once per id, no 500. Returns totals."""
    made = [i for p in phones for i in p.items]
    refused = [r for p in phones for r in p.tally.refused]
    server_errors = [e for p in phones for e in p.tally.server_errors]
    created = Counter()
    for p in phones:
        created.update(p.tally.created)
    assert not refused, f"{len(refused)} refused, first: {refused[:3]}"
    assert not server_errors, f"{len(server_errors)} server errors, first: {server_errors[:2]}"
    assert all(not p.outbox for p in phones), "an outbox is not empty"
    twice = [i for i, n in created.items() if n > 1]
    assert not twice, f"{len(twice)} ids answered 'created' more than once: {twice[:3]}"
    acknowledged = {i for p in phones for i in p.tally.acknowledged}
    assert acknowledged == {i["id"] for i in made}
    failures = Counter()
    for p in phones:
        failures.update(p.tally.failures)
    return {"records": len(made), "acknowledged": len(acknowledged), "created_answers": sum(created.values()),
            "requests": sum(p.tally.attempts for p in phones), "retried": dict(failures)}


def check_pulls(phones: list[Phone]) -> None:
    """Each phone's cursor, followed from the start through every fault, delivered every record it
    may see: every phone's stories, translations, reactions and replies (one trusted community),
    and its own follows, requests and messages."""
    shared = {(i["type"], i["id"]) for p in phones for i in p.items
              if i["type"] in ("story", "translation", "reaction", "reply")}
    for n, phone in enumerate(phones):
        own = {(i["type"], i["id"]) for i in phone.items}
        missing = (shared | own) - set(phone.tally.pulled)
        assert not missing, f"phone {n}: {len(missing)} records never pulled, first: {sorted(missing)[:3]}"


def model_of(kind: str):
    from kultialogo.activity.models import Follow
    from kultialogo.help.models import HelpMessage, HelpRequest
    from kultialogo.replies.models import Reaction, Reply
    from kultialogo.stories.models import Story
    from kultialogo.translations.models import StoryTranslation
    return {"story": (Story, Story.id, Story.body), "translation": (StoryTranslation, StoryTranslation.sync_id,
                                                                     StoryTranslation.body),
            "reaction": (Reaction, Reaction.sync_id, None), "reply": (Reply, Reply.sync_id, Reply.body),
            "follow": (Follow, Follow.sync_id, None), "help_request": (HelpRequest, HelpRequest.sync_id, HelpRequest.body),
            "help_message": (HelpMessage, HelpMessage.sync_id, HelpMessage.body)}[kind]


def count_in_database(items: list[dict]) -> dict:
    """In an app context: per kind, the records made, the rows stored, the made ids missing, and
    the texts stored more than once. Every table holds only what the phones made."""
    from sqlalchemy import func, select

    from kultialogo.extensions import db
    db.session.remove()
    report = {}
    for kind in KINDS:
        made = [i for i in items if i["type"] == kind]
        model, id_column, text_column = model_of(kind)
        ids = {uuid.UUID(i["id"]) for i in made}
        stored = list(db.session.scalars(select(id_column)))
        texts = Counter(db.session.scalars(select(text_column))) if text_column is not None else Counter()
        report[kind] = {"made": len(made), "rows": len(stored), "missing": len(ids - set(stored)),
                        "extra": len(set(stored) - ids),
                        "same_text_twice": sum(1 for t, n in texts.items() if n > 1)}
        assert db.session.scalar(select(func.count()).select_from(model)) == len(stored)
    db.session.remove()
    return report


def assert_exactly_once(report: dict) -> None:
    for kind, row in report.items():
        assert row["missing"] == 0 and row["extra"] == 0 and row["same_text_twice"] == 0 \
            and row["rows"] == row["made"], (kind, row)
