"""Push golden hash: a fixed set of push batches against a fresh app, one hash of what it did.

    python bench/push_golden.py [--db sqlite,postgresql] [--dump FILE]

A speed-up of the push (bench/ingest.py) must not change what a push answers or stores. This
builds a fresh database with the real migrations (a temporary SQLite file, a scratch PostgreSQL
database dropped afterwards), sends the same batches through the app (Flask's test client),
and prints, per database, a SHA-256 over every answer and every stored row of the tables a
push writes. Run it with the code before and after a change (e.g. each checkout's own venv, or
PYTHONPATH pointing at another checkout's server/ as ``kultialogo``): equal hashes, same results.

The batches: new stories in a reviewed and a trusted community (every visibility, several
languages, a minor's story), a replay in the same batch and in a later one, edits on the right
base, on a stale base (a conflict) and of someone else's story, withdrawals (of a stored story,
of one never sent, twice), refusals (unknown community, one the author is not in, bad data,
a bad envelope), media the server does not hold, and phones' records of every kind mixed with
stories, some deleted again.

What differs between two runs and says nothing about the code is normalised before hashing:
times the server stamps during the run (replaced by "now"), UUIDs the server makes (the
clients' are fixed), and secrets (password and token hashes are left out). Empty tables are
left out too, so a table a migration adds and a push leaves empty changes nothing.
"""
import argparse
import datetime as dt
import hashlib
import json
import random
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import PG_ADMIN_URL, ScratchPostgres  # noqa: E402

PASSWORD = "golden password 1"
SKIP_TABLES = {"alembic_version", "api_tokens", "web_sessions", "join_codes", "reset_codes"}
SECRET_COLUMNS = {"password_hash", "token_hash", "secret_hash", "code_hash"}


class Ids:
    """Client-made ids from a seeded generator: the same on every run."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.made: set[str] = set()

    def __call__(self) -> uuid.UUID:
        value = uuid.UUID(int=self.rng.getrandbits(128), version=4)
        self.made.add(str(value))
        return value


def story(ids: Ids, community: str, title: str, **extra) -> dict:
    data = {"title": title, "body": f"The body of {title}.", "language": extra.pop("language", "en"),
            "community": community, "visibility": extra.pop("visibility", "public"),
            "author_display": extra.pop("author_display", "pseudonym"),
            "consent": {"kind": "self", "recorded_by": None, "at": None}, "media": [],
            "created_at": "2026-07-14T10:02:00Z", **extra}
    return {"type": "story", "op": "upsert", "id": str(ids()), "base_etag": None, "data": data}


def edited(item: dict, base_etag, **changes) -> dict:
    return {**item, "base_etag": base_etag, "data": {**item["data"], **changes}}


def withdrawal(story_id: str) -> dict:
    return {"type": "story", "op": "withdraw", "id": story_id}


def batches(ids: Ids, answers: dict):
    """The pushes, as (who, items) in order; later batches read earlier answers (etags)."""
    langs = ["en", "it", "ar", "uk", "sr"]
    first = [story(ids, community, f"{community} {visibility} {n}", visibility=visibility, language=langs[n % 5],
                   author_display=("pseudonym", "name", "anonymous")[n % 3])
             for n, (community, visibility) in enumerate(
                 (c, v) for c in ("siena", "camp") for v in ("public", "community", "facilitators") for _ in range(6))]
    minor = story(ids, "camp", "About a child", about_minor=True, place="Square")
    yield "both", first + [minor, first[0], first[3]]  # two replays inside the batch
    yield "fac_camp", [story(ids, "camp", f"facilitator {n}", language=langs[n % 5]) for n in range(30)]
    yield "admin", [story(ids, "siena", f"admin {n}", visibility=("public", "community")[n % 2]) for n in range(12)]
    etag = {item["id"]: (answers.get(item["id"]) or {}).get("etag") for item in first}
    yield "both", [
        first[1],  # replay in a later batch: unchanged
        edited(first[2], etag[first[2]["id"]], title="Edited on the right base"),
        edited(first[4], etag[first[4]["id"]], language="ar"),
        edited(first[5], etag[first[5]["id"]], visibility="public"),
        edited(first[6], '"0000"', body="An edit on a stale base"),  # conflict, kept
        edited(first[6], '"0000"', body="An edit on a stale base"),  # the same conflict again
        withdrawal(first[7]["id"]),
        withdrawal(first[7]["id"]),  # twice: unchanged
        withdrawal(str(ids())),  # never sent: a tombstone
        story(ids, "nowhere", "Unknown community"),
        story(ids, "siena", "Bad language", language=""),
        story(ids, "camp", "With media", media=["a" * 64]),
        {"type": "story", "op": "upsert", "id": "not-a-uuid", "data": {}},
        {"type": "story", "op": "explode", "id": str(ids()), "data": {}},
        {"type": "nothing", "op": "upsert", "id": str(ids()), "data": {}},
        "not an object",
    ]
    yield "amina", [edited(first[8], etag[first[8]["id"]], title="Not mine"), withdrawal(first[9]["id"]),
                    story(ids, "camp", "Not my community"), story(ids, "siena", "Mine, pending")]
    new = [story(ids, "siena", f"late {n}") for n in range(5)]
    yield "both", new + [edited(new[1], None, title="Edited in the same batch"), withdrawal(new[2]["id"]), new[3]]
    from tests.faults import phones
    real_uuid4 = phones.uuid.uuid4
    phones.uuid.uuid4 = ids  # the helper's ids, fixed too
    try:
        for n, who in enumerate(("bojan", "both", "fac_camp")):
            items = phones.make_records(n, 35)
            for item in items:
                if item["type"] in ("story", "help_request"):
                    item["data"]["community"] = "camp"
            yield who, items
            yield who, [{"type": item["type"], "op": "delete", "id": item["id"]} for item in items[2::9]
                        if item["type"] in ("translation", "reaction", "reply", "follow")]
    finally:
        phones.uuid.uuid4 = real_uuid4


class Normaliser:
    def __init__(self, since: dt.datetime, client_ids: set[str]):
        self.since = since
        self.client_ids = client_ids

    def __call__(self, value):
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self(v) for v in value]
        if isinstance(value, dt.datetime):
            aware = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
            return "now" if aware >= self.since else aware.isoformat()
        if isinstance(value, uuid.UUID):
            value = str(value)
        if isinstance(value, str):
            if (len(value) == 36 and value.count("-") == 4) or (len(value) == 32 and _is_hex(value)):
                try:
                    value = str(uuid.UUID(value))  # SQLite keeps UUIDs as 32 hex digits
                except ValueError:
                    return value
                return value if value in self.client_ids else "server-uuid"
            if len(value) >= 20 and value[4:5] == "-" and value[10:11] == "T":
                try:
                    return self(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
                except ValueError:
                    return value
        if isinstance(value, (bytes, memoryview)):
            return hashlib.sha256(bytes(value)).hexdigest()
        return value


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def run(url: str, data_dir: Path, dump: Path | None) -> str:
    from flask_migrate import upgrade
    from sqlalchemy import MetaData, select

    from kultialogo import create_app
    from kultialogo.accounts.auth import create_account, issue_token
    from kultialogo.accounts.models import Membership
    from kultialogo.communities.models import Community
    from kultialogo.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DATA_DIR": str(data_dir), "SECRET_KEY": "golden",
                      "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024, "RATELIMIT_ENABLED": False})
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    with app.app_context():
        upgrade()
        for slug, moderation in (("siena", "review"), ("camp", "trusted")):
            db.session.add(Community(slug=slug, names={"en": slug.title()}, default_language="en",
                                     moderation=moderation))
        db.session.commit()
        community = {c.slug: c.id for c in db.session.query(Community)}
        people = {"admin": ((), True), "fac_camp": ((("camp", "facilitator"),), False),
                  "amina": ((("siena", "participant"),), False), "bojan": ((("camp", "participant"),), False),
                  "both": ((("siena", "participant"), ("camp", "participant")), False)}
        tokens = {}
        for name, (roles, is_admin) in people.items():
            account = create_account(name, PASSWORD, name.title(), is_admin=is_admin)
            for slug, role in roles:
                db.session.add(Membership(account_id=account.id, community_id=community[slug], role=role))
            db.session.commit()
            tokens[name] = issue_token(account, "golden")[0]
        db.session.remove()
    client = app.test_client()
    ids = Ids(18)
    answers: dict = {}  # story id -> its last answered view, for later batches' base etags
    log = []
    for who, items in batches(ids, answers):
        with app.app_context():
            response = client.post("/api/v1/sync/push", json={"items": items},
                                   headers={"Authorization": f"Bearer {tokens[who]}"})
        body = response.get_json()
        if response.status_code == 200:
            body.pop("server_time", None)
            for result in body["results"]:
                if result.get("story"):
                    answers[result["id"]] = result["story"]
        log.append({"who": who, "status": response.status_code, "body": body})
    tables = {}
    with app.app_context():
        meta = MetaData()
        meta.reflect(db.engine)
        with db.engine.connect() as conn:
            for name in sorted(meta.tables):
                if name in SKIP_TABLES:
                    continue
                table = meta.tables[name]
                columns = [c for c in table.columns if c.name not in SECRET_COLUMNS]
                order = list(table.primary_key.columns) or columns
                rows = conn.execute(select(*columns).order_by(*order)).all()
                if rows:  # an empty table is left out: a new one the push never fills changes nothing
                    tables[name] = [dict(zip([c.name for c in columns], row)) for row in rows]
        db.engine.dispose()
    normalise = Normaliser(since, ids.made)
    everything = normalise({"answers": log, "tables": tables})
    text = json.dumps(everything, sort_keys=True, ensure_ascii=False, default=str)
    if dump is not None:
        dump.write_text(json.dumps(everything, sort_keys=True, ensure_ascii=False, default=str, indent=1))
    counts = {}
    for entry in log:
        for result in (entry["body"] or {}).get("results", []):
            counts[result["result"]] = counts.get(result["result"], 0) + 1
    print(f"  answers: {sum(counts.values())} items, {dict(sorted(counts.items()))}; "
          f"rows: {sum(len(rows) for rows in tables.values())} in {len(tables)} tables", file=sys.stderr)
    return hashlib.sha256(text.encode()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--dump", help="also write the normalised answers and rows to FILE.<db>.json (to diff)")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    args = parser.parse_args()
    import kultialogo
    print(f"code: {Path(kultialogo.__file__).resolve().parent}", file=sys.stderr)
    for name in [d.strip() for d in args.db.split(",") if d.strip()]:
        dump = Path(f"{args.dump}.{name}.json") if args.dump else None
        with tempfile.TemporaryDirectory(prefix="kultialogo-golden-") as tmp:
            if name == "sqlite":
                digest = run(f"sqlite:///{Path(tmp) / 'golden.sqlite3'}", Path(tmp), dump)
            else:
                with ScratchPostgres(args.pg_admin_url, prefix="kultialogo_golden") as pg:
                    digest = run(pg.url, Path(tmp), dump)
        print(f"{name} push golden: {digest}", flush=True)


if __name__ == "__main__":
    main()
