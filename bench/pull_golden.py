"""Pull golden output: every pull a varied data set answers, saved once, compared after a change.

    python bench/pull_golden.py --database sqlite --save before.json        # seeds once, captures
    python bench/pull_golden.py --database sqlite --compare before.json     # captures again, diffs

A speed-up of the pull (bench/hotpaths.py) must not change a byte of what it answers. The data
set is seeded once through the real push and moderation API into a database kept in ``--dir``
(a SQLite file, or a PostgreSQL database named after the folder), so its timestamps stay the same
between captures: two communities (one reviewed, one trusted), a site admin, facilitators,
participants, a person in both, one in none; stories of every visibility, pending, rejected,
hidden, withdrawn, edited into a conflict, about a minor; phones' records of every kind.

A capture is, for each reader (signed out, and each person's bearer token) and each choice of
kinds (none: the old story shape; stories; every kind), every page of the pull at limits 1, 7,
50 and 500 followed to its end, then the empty delta after it and a revalidation with its ETag
(304): status, ETag and body of each. Compare prints the first differences and exits 1 on any.
"""
import argparse
import json
import os
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import PG_ADMIN_URL  # noqa: E402

PASSWORD = "golden password 1"
LIMITS = (1, 7, 50, 500)


def database_url(args) -> str:
    if args.database == "sqlite":
        return f"sqlite:///{Path(args.dir) / 'golden.sqlite3'}"
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + ("kultialogo_golden_" + Path(args.dir).name.replace("-", "_"))


def make_app(url: str, data_dir: Path):
    from kultialogo import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "DATA_DIR": str(data_dir), "SECRET_KEY": "golden",
                       "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024, "RATELIMIT_ENABLED": False})


def _story(community: str, visibility: str, title: str, **extra) -> dict:
    data = {"title": title, "body": f"The body of {title}.", "language": extra.pop("language", "en"),
            "community": community, "visibility": visibility, "author_display": extra.pop("author_display", "pseudonym"),
            "consent": {"kind": "self", "recorded_by": None, "at": None}, "media": [],
            "created_at": "2026-07-14T10:02:00Z", **extra}
    return {"type": "story", "op": "upsert", "id": str(uuid.uuid4()), "base_etag": None, "data": data}


def seed(app, state: Path) -> dict:
    """The data set; returns {reader name: token}."""
    from flask_migrate import upgrade

    from kultialogo.accounts.auth import create_account, issue_token
    from kultialogo.accounts.models import Membership
    from kultialogo.communities.models import Community
    from kultialogo.extensions import db
    from tests.faults.phones import make_records

    with app.app_context():
        upgrade()
        for slug, moderation in (("siena", "review"), ("camp", "trusted")):
            db.session.add(Community(slug=slug, names={"en": slug.title()}, default_language="en",
                                     moderation=moderation))
        db.session.commit()
        ids = {c.slug: c.id for c in db.session.query(Community)}
        people = {"admin": ((), True), "fac_siena": ((("siena", "facilitator"),), False),
                  "fac_camp": ((("camp", "facilitator"),), False),
                  "amina": ((("siena", "participant"),), False), "bojan": ((("camp", "participant"),), False),
                  "both": ((("siena", "participant"), ("camp", "participant")), False),
                  "outsider": ((), False)}
        tokens = {}
        for name, (roles, is_admin) in people.items():
            account = create_account(name, PASSWORD, name.title() if name != "bojan" else "", is_admin=is_admin)
            for slug, role in roles:
                db.session.add(Membership(account_id=account.id, community_id=ids[slug], role=role))
            db.session.commit()
            tokens[name] = issue_token(account, "golden")[0]
    client = app.test_client()

    def call(method, path, who, body):
        with app.app_context():
            response = client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {tokens[who]}"})
        if response.status_code != 200:
            raise SystemExit(f"{method} {path} as {who}: {response.status_code} {response.get_data(as_text=True)}")
        return response.get_json()

    def push(who, *items):
        return call("POST", "/api/v1/sync/push", who, {"items": list(items)})["results"]

    made = {}
    for who in ("amina", "bojan", "both", "fac_siena", "fac_camp", "admin"):
        for community in ("siena", "camp"):
            for visibility in ("public", "community", "facilitators"):
                for display in ("pseudonym", "name", "anonymous"):
                    item = _story(community, visibility, f"{who} {community} {visibility} {display}",
                                  author_display=display, language="it" if display == "name" else "en")
                    result = push(who, item)[0]
                    if result["result"] == "created":
                        made[(who, community, visibility, display)] = (item, result["story"])
    minor = _story("camp", "public", "About a child", about_minor=True, place="Square")
    push("bojan", minor)
    # Moderation: publish, reject, hide and unhide some of siena's pending stories.
    pending = [(key, story) for key, (item, story) in made.items() if story["status"] == "pending"]
    for n, (key, story) in enumerate(pending):
        action = ("publish", "reject", "publish", None)[n % 4]
        if action:
            call("POST", f"/api/v1/stories/{story['id']}/moderation", "fac_siena",
                 {"action": action, **({"reason": "Please remove the names."} if action == "reject" else {})})
    published = [story for key, (item, story) in made.items() if key[1] == "camp"]
    for n, story in enumerate(published[:6]):
        call("POST", f"/api/v1/stories/{story['id']}/moderation", "fac_camp",
             {"action": "hide", "reason": "Reported."})
        if n % 2:
            call("POST", f"/api/v1/stories/{story['id']}/moderation", "fac_camp", {"action": "unhide"})
    # Edits, a conflict (an edit on a stale base), withdrawals.
    for n, ((who, community, visibility, display), (item, story)) in enumerate(list(made.items())[::5]):
        edited = {**item, "base_etag": story["etag"], "data": {**item["data"], "title": item["data"]["title"] + " (edited)"}}
        push(who, edited)
        if n % 3 == 0:
            stale = {**item, "base_etag": story["etag"], "data": {**item["data"], "body": "A stale edit."}}
            push(who, stale)
        if n % 4 == 1:
            push(who, {"type": "story", "op": "withdraw", "id": item["id"]})
    # Phones' records of every kind in the trusted community, then some of them deleted again.
    for n, who in enumerate(("bojan", "both", "fac_camp")):
        items = make_records(n, 28)
        for item in items:
            if item["type"] == "story":
                item["data"]["community"] = "camp"
            elif item["type"] == "help_request":
                item["data"]["community"] = "camp"
        results = push(who, *items)
        for item, result in list(zip(items, results))[::9]:
            if item["type"] in ("translation", "reaction", "reply", "follow") and result["result"] == "created":
                push(who, {"type": item["type"], "op": "delete", "id": item["id"]})
    state.write_text(json.dumps(tokens))
    return tokens


def capture(app, tokens: dict) -> list:
    from kultialogo import records
    client = app.test_client()
    kind_choices = (None, "story", ",".join(records.names()))
    out = []
    for reader in (None, *sorted(tokens)):
        headers = {"Authorization": f"Bearer {tokens[reader]}"} if reader else {}
        for kinds in kind_choices:
            for limit in LIMITS:
                cursor = None
                while True:
                    params = {"limit": limit, **({"kinds": kinds} if kinds else {}), **({"cursor": cursor} if cursor else {})}
                    with app.app_context():
                        response = client.get("/api/v1/sync/pull", query_string=params, headers=headers)
                    body = response.get_json()
                    out.append({"reader": reader, "kinds": kinds, "params": params, "status": response.status_code,
                                "etag": response.headers.get("ETag"), "body": response.get_data(as_text=True)})
                    if response.status_code != 200:
                        break
                    cursor = body["cursor"]
                    if not body["more"]:
                        params = {**params, "cursor": cursor}
                        with app.app_context():
                            empty = client.get("/api/v1/sync/pull", query_string=params, headers=headers)
                            again = client.get("/api/v1/sync/pull", query_string=params,
                                               headers={**headers, "If-None-Match": empty.headers.get("ETag", "")})
                        for what, r in (("empty", empty), ("304", again)):
                            out.append({"reader": reader, "kinds": kinds, "params": params, "what": what,
                                        "status": r.status_code, "etag": r.headers.get("ETag"),
                                        "body": r.get_data(as_text=True)})
                        break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--dir", default="/tmp/kultialogo-golden", help="where the seeded data set is kept")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--save", help="write the capture to this file")
    what.add_argument("--compare", help="compare the capture with this file")
    args = parser.parse_args()
    folder = Path(args.dir) / args.database
    folder.mkdir(parents=True, exist_ok=True)
    args.dir = str(folder)
    url = database_url(args)
    state = folder / "tokens.json"
    if args.database == "postgresql" and not state.exists():
        from sqlalchemy import create_engine, text
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            name = url.rsplit("/", 1)[1]
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    app = make_app(url, folder)
    tokens = json.loads(state.read_text()) if state.exists() else seed(app, state)
    responses = capture(app, tokens)
    if args.save:
        Path(args.save).write_text(json.dumps(responses, indent=0))
        print(f"{args.database}: {len(responses)} responses saved to {args.save}")
        return
    reference = json.loads(Path(args.compare).read_text())
    differences = [(a, b) for a, b in zip(reference, responses) if a != b]
    if len(reference) != len(responses):
        print(f"{len(reference)} responses before, {len(responses)} now")
    for before, now in differences[:5]:
        print(f"DIFFERENT: {json.dumps({k: before[k] for k in ('reader', 'params')})}\n  before: "
              f"{before['status']} {before['etag']} {before['body'][:600]}\n  now:    "
              f"{now['status']} {now['etag']} {now['body'][:600]}")
    same = not differences and len(reference) == len(responses)
    print(f"{args.database}: {len(responses)} responses, {'all identical' if same else f'{len(differences)} differ'}")
    raise SystemExit(0 if same else 1)


if __name__ == "__main__":
    os.environ.setdefault("KULTIALOGO_LOG_LEVEL", "WARNING")
    main()
