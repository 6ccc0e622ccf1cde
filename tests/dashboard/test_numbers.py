"""The dashboard's numbers equal counts computed here, independently, from the data the test
inserted: every cell of every table, on both databases, by week and by month."""
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta, timezone

import pytest
from babel import Locale
from sqlalchemy import event

from kultialogo.extensions import db
from tests.dashboard import helpers as h
from tests.people.helpers import Fresh

FIRST, LAST = date(2026, 6, 10), date(2026, 10, 25)   # a Wednesday to a Sunday: partial weeks at both ends
STATUS_HEADERS = ["Waiting for review", "Published", "Not published", "Hidden"]
STATUS_KEYS = ["pending", "published", "rejected", "hidden"]


@pytest.fixture
def world(app):
    return h.build(app)


def _page(app, username, **args):
    client = Fresh(app)
    client.sign_in(username)
    response = client.get("/dashboard", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return h.tables(response.get_data(as_text=True))


def _in_range(when: datetime, first: date, last: date) -> bool:
    since = datetime.combine(first, time.min, tzinfo=timezone.utc)
    before = datetime.combine(last + timedelta(days=1), time.min, tzinfo=timezone.utc)
    return since <= when < before


def _start(day: date, period: str) -> date:
    return h.week_of(day) if period == "week" else h.month_of(day)


def _story_grid(world, key, first, last, period, communities=None):
    """{period start: Counter(key value)} of stories received in the range, withdrawn left out."""
    grid = defaultdict(Counter)
    for s in world.stories:
        if s["status"] == "withdrawn" or not _in_range(s["received_at"], first, last):
            continue
        if communities is not None and s["community"] not in communities:
            continue
        grid[_start(s["received_at"].date(), period)][s[key]] += 1
    return grid


def _ranked(grid, name_of) -> list[tuple[str, list]]:
    """Columns as the dashboard orders them: largest total first (ties by key), the eighth and
    beyond summed as Other."""
    totals = Counter()
    for counter in grid.values():
        totals.update(counter)
    keys = sorted(totals, key=lambda k: (-totals[k], str(k)))
    if len(keys) > 8:
        return [(name_of(k), [k]) for k in keys[:7]] + [("Other", keys[7:])]
    return [(name_of(k), [k]) for k in keys]


def _check(table, periods, columns, values_at, period="week", total=True):
    """Header, one row per period (its <time datetime>), every cell, and the totals row."""
    first_header = "Week of" if period == "week" else "Month"
    assert [c["text"] for c in table["head"][0]] == [first_header, *columns] + (["Total"] if total else [])
    assert [row[0]["datetime"] for row in table["body"]] == [p.isoformat() for p in periods]
    sums = [0] * (len(columns) + (1 if total else 0))
    for row, start in zip(table["body"], periods):
        expected = values_at(start)
        if total:
            expected = [*expected, sum(expected)]
        assert [h.number(c["text"]) for c in row[1:]] == expected, (start, [c["text"] for c in row])
        sums = [a + b for a, b in zip(sums, expected)]
    assert [c["text"] for c in table["foot"][0]][0] == "Total"
    assert [h.number(c["text"]) for c in table["foot"][0][1:]] == sums


@pytest.mark.parametrize("period", ["week", "month"])
def test_story_tables_match_the_database(app, world, period):
    tables = _page(app, "admin", **{"from": FIRST.isoformat(), "to": LAST.isoformat(), "period": period})
    periods = h.periods(FIRST, LAST, period)
    assert len(periods) == (20 if period == "week" else 5)

    by_status = _story_grid(world, "status", FIRST, LAST, period)
    _check(tables["table-status"], periods, STATUS_HEADERS,
           lambda p: [by_status[p][k] for k in STATUS_KEYS], period)

    by_language = _story_grid(world, "language", FIRST, LAST, period)
    english = Locale("en").languages
    columns = _ranked(by_language, lambda code: english[code])
    assert len(columns) == 8 and columns[-1][0] == "Other"  # ten languages: seven and the rest
    _check(tables["table-language"], periods, [c for c, _ in columns],
           lambda p: [sum(by_language[p][k] for k in keys) for _, keys in columns], period)

    by_community = _story_grid(world, "community", FIRST, LAST, period)
    ids = world.communities
    columns = _ranked({p: Counter({ids[k]: n for k, n in c.items()}) for p, c in by_community.items()},
                      lambda cid: next(slug for slug, i in ids.items() if i == cid).title())
    _check(tables["table-community"], periods, [c for c, _ in columns],
           lambda p: [by_community[p][next(s for s, i in ids.items() if i == keys[0])] for _, keys in columns], period)

    # Everything in range is counted once in each table.
    grand = sum(sum(c.values()) for c in by_status.values())
    for key in ("table-status", "table-language", "table-community"):
        assert h.number(tables[key]["foot"][0][-1]["text"]) == grand


def test_a_week_starts_on_monday_at_midnight_utc(app, world):
    _check_boundary_weeks(app, world)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_weeks_are_utc_whatever_the_database_sessions_time_zone(app_config):
    """PostgreSQL truncates a timestamptz in the session's time zone: the dashboard must not."""
    with h.app_in_time_zone(app_config) as app:
        _check_boundary_weeks(app, h.build(app))


def _check_boundary_weeks(app, world):
    tables = _page(app, "admin", **{"from": "2026-08-31", "to": "2026-09-13", "period": "week"})
    rows = {row[0]["datetime"]: row for row in tables["table-status"]["body"]}
    assert list(rows) == ["2026-08-31", "2026-09-07"]
    expected = {"2026-08-31": 0, "2026-09-07": 0}
    for s in world.stories:
        if s["status"] == "published" and _in_range(s["received_at"], date(2026, 8, 31), date(2026, 9, 13)):
            expected[h.week_of(s["received_at"].date()).isoformat()] += 1
    published = STATUS_HEADERS.index("Published") + 1
    assert {k: h.number(r[published]["text"]) for k, r in rows.items()} == expected
    # The two stories a second apart fall in different weeks.
    assert h.SUNDAY_LAST.date() == date(2026, 9, 6) and h.MONDAY_FIRST.date() == date(2026, 9, 7)
    assert expected["2026-08-31"] >= 1 and expected["2026-09-07"] >= 1


def test_people_joined_match_the_database(app, world):
    tables = _page(app, "admin", **{"from": FIRST.isoformat(), "to": LAST.isoformat()})
    periods = h.periods(FIRST, LAST, "week")
    grid = defaultdict(Counter)
    for slug, joined in world.joined:
        if _in_range(joined, FIRST, LAST):
            grid[h.week_of(joined.date())][world.communities[slug]] += 1
    ids = {i: slug for slug, i in world.communities.items()}
    columns = _ranked(grid, lambda cid: ids[cid].title())
    _check(tables["table-people"], periods, [c for c, _ in columns],
           lambda p: [grid[p][keys[0]] for _, keys in columns])
    assert h.number(tables["table-people"]["foot"][0][-1]["text"]) == sum(
        1 for _slug, joined in world.joined if _in_range(joined, FIRST, LAST))


@pytest.mark.parametrize("dimension, values, names", [
    ("gender", ["woman", "man", "other"], ["Woman", "Man", "Other or self-described"]),
    ("age", ["under_18", "18_25", "26_40", "41_65", "over_65"], ["Under 18", "18 to 25", "26 to 40", "41 to 65", "Over 65"]),
    ("origin", ["newcomer", "local"], ["Newcomer", "Local"]),
])
def test_attendance_tables_match_the_database(app, world, dimension, values, names):
    tables = _page(app, "admin", **{"from": FIRST.isoformat(), "to": LAST.isoformat()})
    months = h.periods(FIRST, LAST, "month")
    index = ["gender", "age", "origin"].index(dimension)

    def row(month):
        events = [e for e in world.events if FIRST <= e["starts_on"] <= LAST and h.month_of(e["starts_on"]) == month]
        heads = sum(e["head"] or 0 for e in events)
        counts = []
        for value in values:
            counts.append(sum(sum(1 for linked in e["linked"] if linked[index] == value)
                              + e["tallies"].get(dimension, {}).get(value, 0) for e in events))
        return [len(events), heads, *counts, heads - sum(counts)]

    _check(tables[f"table-attendance-{dimension}"], months, ["Events", "People", *names, "Not given"], row,
           period="month", total=False)
    # The event before the range (99 people) is not counted.
    assert h.number(tables[f"table-attendance-{dimension}"]["foot"][0][2]["text"]) == 40 + 12 + 25 + 60 + 9


def test_queues_show_what_waits_now_whatever_the_range(app, world):
    tables = _page(app, "admin", **{"from": "2026-10-01", "to": "2026-10-02"})
    rows = tables["table-queues"]["body"]
    assert [r[0]["text"] for r in rows] == ["Belgrade", "Siena", "Utrecht"]
    for r in rows:
        slug = r[0]["text"].lower()
        pending = [s for s in world.stories if s["community"] == slug and s["status"] == "pending"]
        open_reports = [(sid, at) for sid, at, resolved in world.reports if not resolved
                        and next(s for s in world.stories if s["id"] == sid)["community"] == slug
                        and next(s for s in world.stories if s["id"] == sid)["status"] != "withdrawn"]
        # "8 oldest: 6 months": the count, then the age of the oldest (its time in <time>).
        assert h.number(r[1]["text"].split()[0]) == len(pending)
        assert r[1]["datetime"][:19] == min(s["received_at"] for s in pending).isoformat()[:19]
        assert "month" in r[1]["text"]
        assert h.number(r[2]["text"].split()[0]) == len({sid for sid, _ in open_reports})
        if open_reports:
            assert r[2]["datetime"][:19] == min(at for _, at in open_reports).isoformat()[:19]
        else:
            assert r[2]["datetime"] is None and r[2]["text"] == "0"


def test_a_facilitator_sees_their_own_community_only(app, world):
    tables = _page(app, "giulia", **{"from": FIRST.isoformat(), "to": LAST.isoformat()})
    assert [c["text"] for c in tables["table-community"]["head"][0]] == ["Week of", "Siena", "Total"]
    assert [r[0]["text"] for r in tables["table-queues"]["body"]] == ["Siena"]
    siena = _story_grid(world, "status", FIRST, LAST, "week", communities={"siena"})
    _check(tables["table-status"], h.periods(FIRST, LAST, "week"), STATUS_HEADERS,
           lambda p: [siena[p][k] for k in STATUS_KEYS])
    client = Fresh(app)
    client.sign_in("giulia")
    assert client.get("/dashboard?community=belgrade").status_code == 404
    assert client.get("/dashboard?community=siena").status_code == 200


def test_admins_filter_by_community(app, world):
    tables = _page(app, "admin", community="utrecht", **{"from": FIRST.isoformat(), "to": LAST.isoformat()})
    utrecht = _story_grid(world, "status", FIRST, LAST, "week", communities={"utrecht"})
    _check(tables["table-status"], h.periods(FIRST, LAST, "week"), STATUS_HEADERS,
           lambda p: [utrecht[p][k] for k in STATUS_KEYS])
    assert [r[0]["text"] for r in tables["table-queues"]["body"]] == ["Utrecht"]


def test_who_may_see_the_dashboard(app, world):
    anonymous = Fresh(app)
    response = anonymous.get("/dashboard")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
    participant = Fresh(app)
    participant.sign_in("amina")
    assert participant.get("/dashboard").status_code == 403
    assert 'href="/dashboard"' not in participant.get("/").get_data(as_text=True)
    facilitator = Fresh(app)
    facilitator.sign_in("giulia")
    assert 'href="/dashboard"' in facilitator.get("/").get_data(as_text=True)


def test_the_default_range_is_the_last_twelve_weeks(app, world):
    tables = _page(app, "admin")
    today = datetime.now(timezone.utc).date()
    starts = [row[0]["datetime"] for row in tables["table-status"]["body"]]
    assert starts[0] == (h.week_of(today) - timedelta(weeks=11)).isoformat()
    assert starts[-1] == h.week_of(today).isoformat() and len(starts) == 12


def test_a_bad_range_falls_back_to_the_default_with_a_message(app, world):
    client = Fresh(app)
    client.sign_in("admin")
    response = client.get("/dashboard?from=2026-10-01&to=2026-09-01")
    assert response.status_code == 200
    assert "The start date must be before the end date" in response.get_data(as_text=True)
    assert client.get("/dashboard?period=fortnight").status_code == 200


def test_counts_are_grouped_by_the_database(app, world):
    """Every query that reads stories, memberships, events or reports groups in SQL, or asks
    for one aggregate per community (the oldest waiting story): the page never loads rows one
    by one into Python."""
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    client = Fresh(app)
    client.sign_in("admin")
    engine = db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert client.get(f"/dashboard?from={FIRST}&to={LAST}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    viewer = "memberships.account_id IN"  # loading the signed-in admin's own memberships
    reading = [s for s in statements if s.upper().startswith("SELECT") and viewer not in s and any(
        f"FROM {t}" in s for t in ("stories", "story_counts", "memberships", "events", "event_attendees", "event_tallies",
                                   "story_reports"))]
    assert len(reading) >= 9
    for statement in reading:
        upper = statement.upper()
        per_community = upper.startswith("SELECT COMMUNITIES.ID, (SELECT MIN(STORIES.RECEIVED_AT)")
        assert "GROUP BY" in upper or per_community, statement


def test_persian_readers_get_the_same_numbers_in_persian_digits(app, world):
    args = {"from": FIRST.isoformat(), "to": LAST.isoformat(), "period": "month"}
    english = _page(app, "admin", **args)["table-status"]["body"]
    persian = _page(app, "admin", lang="fa", **args)["table-status"]["body"]
    to_persian = str.maketrans("0123456789,", "۰۱۲۳۴۵۶۷۸۹٬")
    assert any(cell["text"].strip().isdigit() for row in english for cell in row[1:])
    for en_row, fa_row in zip(english, persian, strict=True):
        assert [c["text"].translate(to_persian) for c in en_row[1:]] == [c["text"] for c in fa_row[1:]]
        assert not any(ch.isascii() and ch.isdigit() for c in fa_row for ch in c["text"])  # headings too
