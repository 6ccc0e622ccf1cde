"""Feed scale benchmark: the latency of the feed page ``/`` as the number of stories grows.

    python bench/feed_scale.py [--sqlite 1000,100000,1000000] [--postgresql 1000,100000]
                               [--samples 200] [--pg-admin-url URL]
    python bench/feed_scale.py --sqlite 1000 --postgresql ""        # a quick run

For each database and size it builds a fresh database with the real migrations, seeds N stories
in one bulk INSERT ... SELECT (a recursive CTE on SQLite, generate_series on PostgreSQL; 1%
with a published translation), starts ``kultialogo run`` (waitress) and times, with one client,
``/`` signed out and signed in (a member of one of four communities), and the feed's second page
(its "Older stories" link, signed in). It prints the median and p95 of each.

The seed is plain SQL, so the same script measures another version of the app for a before and
after: ``--code main`` exports that git revision and runs the benchmark (and its servers) with it.
"""
import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402
from sqlalchemy import inspect, text  # noqa: E402

from bench._server import PG_ADMIN_URL, LiveServer, ScratchPostgres, rerun_with_code  # noqa: E402

COMMUNITIES = 4
AUTHORS = 40
PASSWORD = "bench password 1"
LANGUAGES = ("en", "it", "ar", "uk", "fa", "sr-Latn", "fr", "nl")

# One row per story; i counts from 0. Languages, audiences and statuses cycle so that every
# community holds every kind: 80% public, 10% community, 10% facilitators; 1 in 25 not published.
SQLITE_SEED = """
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :count)
INSERT INTO stories (id, author_id, community_id, title, body, language, visibility, author_display,
  consent_kind, media, place, about_minor, consent_guardian, status, revision, etag, received_at,
  updated_at, ever_published, moderation_reason)
SELECT printf('%016x%016x', 4242, i), :first_author + i % :authors, :first_community + i % :communities,
  'Story number ' || i, 'We arrived in the evening and the square was full of people. They sang.',
  CASE i % 8 WHEN 0 THEN 'en' WHEN 1 THEN 'it' WHEN 2 THEN 'ar' WHEN 3 THEN 'uk' WHEN 4 THEN 'fa'
             WHEN 5 THEN 'sr-Latn' WHEN 6 THEN 'fr' ELSE 'nl' END,
  CASE WHEN i % 10 < 8 THEN 'public' WHEN i % 10 = 8 THEN 'community' ELSE 'facilitators' END,
  'pseudonym', 'self', '[]', '', 0, 0,
  CASE WHEN i % 25 = 24 THEN 'pending' ELSE 'published' END, i + 1, 'bench',
  strftime('%Y-%m-%d %H:%M:%S', 1700000000 + i, 'unixepoch') || '.000000',
  strftime('%Y-%m-%d %H:%M:%S', 1700000000 + i, 'unixepoch') || '.000000', i % 25 <> 24, ''
FROM n"""

PG_SEED = """
INSERT INTO stories (id, author_id, community_id, title, body, language, visibility, author_display,
  consent_kind, media, place, about_minor, consent_guardian, status, revision, etag, received_at,
  updated_at, ever_published, moderation_reason)
SELECT (lpad(to_hex(4242), 16, '0') || lpad(to_hex(i), 16, '0'))::uuid,
  :first_author + i % :authors, :first_community + i % :communities,
  'Story number ' || i, 'We arrived in the evening and the square was full of people. They sang.',
  (ARRAY['en', 'it', 'ar', 'uk', 'fa', 'sr-Latn', 'fr', 'nl'])[i % 8 + 1],
  CASE WHEN i % 10 < 8 THEN 'public' WHEN i % 10 = 8 THEN 'community' ELSE 'facilitators' END,
  'pseudonym', 'self', '[]', '', false, false,
  CASE WHEN i % 25 = 24 THEN 'pending' ELSE 'published' END, i + 1, 'bench',
  to_timestamp(1700000000 + i), to_timestamp(1700000000 + i), i % 25 <> 24, ''
FROM generate_series(0, :count - 1) AS i"""

# A published translation for 1 story in 100 (into Italian, or English for the Italian ones).
TRANSLATIONS_SEED = """
INSERT INTO story_translations (story_id, language, title, body, translator_id, translator_display,
  status, created_at, updated_at)
SELECT id, CASE WHEN language = 'it' THEN 'en' ELSE 'it' END, 'Tradotta', 'Una storia tradotta.',
  author_id, 'pseudonym', 'published', received_at, received_at
FROM stories WHERE revision % 100 = 0"""


def prepare(database_url: str, data_dir: Path, count: int) -> float:
    """Migrate, add communities and people, seed ``count`` stories; return the seconds it took to seed."""
    from flask_migrate import upgrade

    from kultialogo import create_app
    from kultialogo.accounts.auth import create_account
    from kultialogo.accounts.models import Membership
    from kultialogo.communities.models import Community
    from kultialogo.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "DATA_DIR": str(data_dir),
                      "SECRET_KEY": "bench", "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024})
    with app.app_context():
        import logging
        logging.disable(logging.INFO)  # Alembic's line per revision
        upgrade()
        logging.disable(logging.NOTSET)
        communities = [Community(slug=f"camp{n}", names={"en": f"Camp {n}"}) for n in range(COMMUNITIES)]
        db.session.add_all(communities)
        db.session.commit()
        authors = [create_account(f"author{n:02d}", PASSWORD) for n in range(AUTHORS)]
        for n, author in enumerate(authors):
            db.session.add(Membership(account_id=author.id, community_id=communities[n % COMMUNITIES].id))
        reader = create_account("reader", PASSWORD)  # reads camp0 and writes none of the stories
        db.session.add(Membership(account_id=reader.id, community_id=communities[0].id))
        db.session.commit()
        started = time.perf_counter()
        seed = PG_SEED if db.engine.dialect.name == "postgresql" else SQLITE_SEED
        with db.engine.begin() as conn:
            conn.execute(text(seed), {"count": count, "first_author": authors[0].id, "authors": AUTHORS,
                                      "first_community": communities[0].id, "communities": COMMUNITIES})
            conn.execute(text(TRANSLATIONS_SEED))
            conn.execute(text("UPDATE revision_counter SET value = :n"), {"n": count})
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                conn.execute(text("ANALYZE"))
            else:
                conn.exec_driver_sql("ANALYZE")
            has_counts = "feed_language_counts" in inspect(conn).get_table_names()
        elapsed = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    print(f"  seeded {count:,} stories in {elapsed:.1f} s"
          f"{' (language counts kept by triggers)' if has_counts else ''}", flush=True)
    return elapsed


def sign_in(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "/signin").text
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    response = session.post(base + "/signin", data={"username": "reader", "password": PASSWORD,
                                                    "csrf_token": csrf.group(1)}, allow_redirects=False)
    if response.status_code != 302:
        raise SystemExit(f"sign-in failed: {response.status_code}")
    return session


def timed(session: requests.Session, url: str, samples: int) -> tuple[float, float]:
    headers = {"Accept-Language": "en"}
    for _ in range(5):  # warm: caches, prepared statements, the first connection
        session.get(url, headers=headers)
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        response = session.get(url, headers=headers)
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")
    times.sort()
    return statistics.median(times) * 1000, times[max(int(len(times) * 0.95) - 1, 0)] * 1000


def run_one(name: str, database_url: str, data_dir: Path, count: int, samples: int) -> dict:
    print(f"{name}, {count:,} stories:", flush=True)
    prepare(database_url, data_dir, count)
    results = {}
    with LiveServer(database_url, data_dir, threads=4) as server:
        anonymous = requests.Session()
        member = sign_in(server.url)
        first = member.get(server.url + "/", headers={"Accept-Language": "en"}).text
        older = re.search(r'<a rel="next" href="([^"]+)"', first)
        if 'id="feed-language"' not in first or older is None:
            raise SystemExit("the feed page shows no language menu or no Older link")
        second = server.url + older.group(1).replace("&amp;", "&")
        for label, session, url in (("signed out /", anonymous, server.url + "/"),
                                    ("signed in /", member, server.url + "/"),
                                    ("signed in page 2", member, second)):
            median, p95 = timed(session, url, samples)
            results[label] = (median, p95)
            print(f"  {label:<17} median {median:6.1f} ms   p95 {p95:6.1f} ms", flush=True)
    return results


def sizes(value: str) -> list[int]:
    return [int(v.replace("_", "")) for v in value.split(",") if v.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite", type=sizes, default=sizes("1000,100000,1000000"),
                        help="story counts on SQLite, comma-separated ('' for none)")
    parser.add_argument("--postgresql", type=sizes, default=sizes("1000,100000"),
                        help="story counts on PostgreSQL, comma-separated ('' for none)")
    parser.add_argument("--samples", type=int, default=200, help="requests timed per line (default 200)")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL, help="PostgreSQL URL used to create scratch dbs")
    parser.add_argument("--code", default="", help="a git revision whose app to measure (default: this checkout)")
    args = parser.parse_args()
    if args.code:
        rerun_with_code(args.code)
    table = []
    with tempfile.TemporaryDirectory(prefix="kultialogo-feed-") as tmp:
        for count in args.sqlite:
            folder = Path(tmp) / f"sqlite-{count}"
            folder.mkdir()
            table.append(("sqlite", count, run_one("sqlite", f"sqlite:///{folder / 'bench.sqlite3'}",
                                                   folder, count, args.samples)))
        for count in args.postgresql:
            folder = Path(tmp) / f"postgresql-{count}"
            folder.mkdir()
            with ScratchPostgres(args.pg_admin_url, prefix="kultialogo_feed") as pg:
                table.append(("postgresql", count, run_one("postgresql", pg.url, folder, count, args.samples)))
    print("\ndatabase     stories     signed out / (median/p95)   signed in / (median/p95)   page 2 (median/p95)")
    for name, count, results in table:
        cells = "   ".join(f"{results[k][0]:7.1f} / {results[k][1]:7.1f} ms  " for k in
                           ("signed out /", "signed in /", "signed in page 2"))
        print(f"{name:<12} {count:>9,}   {cells}")


if __name__ == "__main__":
    main()
