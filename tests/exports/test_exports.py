"""Exports: CSV parsed back (BOM, exact columns, numbers), JSON alike, no story text unless an
admin asks for it and the story is public and published, who may export what, the command
line, and an audit row for every export; on both databases."""
import csv
import io
import json
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select

from kultialogo.audit import AuditEvent
from kultialogo.extensions import db
from tests.dashboard import helpers as h
from tests.people.helpers import Fresh

FIRST, LAST = date(2026, 6, 1), date(2026, 10, 31)
RANGE = {"from": FIRST.isoformat(), "to": LAST.isoformat()}

# The columns, written out here so that a change in the code shows up as a failure.
ANSWERS = ["gender_woman", "gender_man", "gender_other", "gender_not_given",
           "age_under_18", "age_18_25", "age_26_40", "age_41_65", "age_over_65", "age_not_given",
           "origin_newcomer", "origin_local", "origin_not_given"]
HEADERS = {
    "events": ["id", "community", "kind", "title", "starts_on", "ends_on", "place", "head_count",
               "linked_attendees", *ANSWERS],
    "attendance": ["event_id", "event_title", "starts_on", "community", "username", "gender", "age", "origin"],
    "stories": ["id", "community", "language", "status", "visibility", "received_at", "created_at", "updated_at",
                "event_id", "has_media", "about_minor", "consent_kind"],
    "aggregates": ["period_start", "community", "stories", "stories_pending", "stories_published",
                   "stories_rejected", "stories_hidden", "people_joined", "events", "attendance"],
    "audit": ["id", "at", "action", "actor_id", "actor", "story_id", "community", "detail"],
}


@pytest.fixture
def world(app):
    return h.build(app)


def _client(app, username):
    client = Fresh(app)
    if username:
        client.sign_in(username)
    return client


def _csv(response) -> tuple[list[str], list[dict]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:20]  # the BOM: spreadsheet programs then read UTF-8
    reader = csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline=""))
    header = next(reader)
    return header, [dict(zip(header, row)) for row in reader]


def _json(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    return json.loads(response.get_data())


def _exports(action="export") -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _in_range(when: datetime) -> bool:
    return (datetime.combine(FIRST, time.min, tzinfo=timezone.utc) <= when
            < datetime.combine(LAST + timedelta(days=1), time.min, tzinfo=timezone.utc))


@pytest.mark.parametrize("what", list(HEADERS))
def test_every_csv_export_has_the_bom_and_its_exact_columns(app, world, what):
    query = RANGE if what != "audit" else {"from": FIRST.isoformat()}  # the audit log is written now
    header, rows = _csv(_client(app, "admin").get(f"/exports/{what}.csv", query_string=query))
    assert header == HEADERS[what]
    assert rows, what
    document = _json(_client(app, "admin").get(f"/exports/{what}.json", query_string=query))
    assert document["export"] == what and document["columns"] == HEADERS[what]
    if what != "audit":
        assert document["filters"] == {"community": None, "from": "2026-06-01", "to": "2026-10-31",
                                       "period": "week", "include_text": False}  # 22 weeks: by week
    if what != "audit":  # the audit log grows by this very export between the two downloads
        assert len(document["rows"]) == len(rows)
        assert [list(r) for r in document["rows"]] == [HEADERS[what]] * len(rows)


def test_events_numbers_round_trip_exactly(app, world):
    header, rows = _csv(_client(app, "admin").get("/exports/events.csv", query_string=RANGE))
    document = _json(_client(app, "admin").get("/exports/events.json", query_string=RANGE))
    expected = [e for e in world.events if FIRST <= e["starts_on"] <= LAST]
    expected.sort(key=lambda e: (e["starts_on"], e["id"]))
    assert [int(r["id"]) for r in rows] == [e["id"] for e in expected]
    for row, from_json, event in zip(rows, document["rows"], expected):
        head = event["head"]
        assert row["community"] == event["community"] and row["title"] == event["title"]
        assert row["starts_on"] == event["starts_on"].isoformat()
        assert row["ends_on"] == (event["ends_on"].isoformat() if event["ends_on"] else "")
        assert row["head_count"] == ("" if head is None else str(head))
        assert int(row["linked_attendees"]) == len(event["linked"])
        for n, (dimension, values) in enumerate({"gender": ["woman", "man", "other"],
                                                  "age": ["under_18", "18_25", "26_40", "41_65", "over_65"],
                                                  "origin": ["newcomer", "local"]}.items()):
            counts = {v: sum(1 for linked in event["linked"] if linked[n] == v)
                      + event["tallies"].get(dimension, {}).get(v, 0) for v in values}
            for value, count in counts.items():
                assert row[f"{dimension}_{value}"] == ("" if head is None else str(count))
                assert from_json[f"{dimension}_{value}"] == (None if head is None else count)
            not_given = None if head is None else head - sum(counts.values())
            assert from_json[f"{dimension}_not_given"] == not_given
            assert row[f"{dimension}_not_given"] == ("" if not_given is None else str(not_given))
        # JSON carries the same values, as numbers.
        assert {k: ("" if v is None else str(v)) for k, v in from_json.items()} == row
    # Titles in Cyrillic and Arabic come through intact in both.
    assert "Радионица прича 1" in {r["title"] for r in rows}
    assert "جلسة الحكايات 2" in {r["title"] for r in document["rows"]}
    assert "جلسة الحكايات 2".encode() in _client(app, "admin").get("/exports/events.json", query_string=RANGE).get_data()


def test_aggregates_round_trip_exactly(app, world):
    for period in ("week", "month"):
        _header, rows = _csv(_client(app, "admin").get("/exports/aggregates.csv",
                                                        query_string={**RANGE, "period": period}))
        starts = h.periods(FIRST, LAST, period)
        assert [(r["period_start"], r["community"]) for r in rows] == [
            (s.isoformat(), c) for s in starts for c in sorted(h.COMMUNITIES)]

        def start(day):
            return h.week_of(day) if period == "week" else h.month_of(day)

        expected = {(s.isoformat(), c): Counter() for s in starts for c in h.COMMUNITIES}
        for s in world.stories:
            if s["status"] != "withdrawn" and _in_range(s["received_at"]):
                key = (start(s["received_at"].date()).isoformat(), s["community"])
                expected[key]["stories"] += 1
                expected[key][f"stories_{s['status']}"] += 1
        for slug, joined in world.joined:
            if _in_range(joined):
                expected[(start(joined.date()).isoformat(), slug)]["people_joined"] += 1
        for e in world.events:
            if FIRST <= e["starts_on"] <= LAST:
                key = (start(e["starts_on"]).isoformat(), e["community"])
                expected[key]["events"] += 1
                expected[key]["attendance"] += e["head"] or 0
        for row in rows:
            want = expected[(row["period_start"], row["community"])]
            assert {k: int(v) for k, v in row.items() if k not in ("period_start", "community")} == {
                k: want[k] for k in HEADERS["aggregates"][2:]}, row
        assert sum(int(r["stories"]) for r in rows) == sum(
            1 for s in world.stories if s["status"] != "withdrawn" and _in_range(s["received_at"]))


def _all_text(world) -> set[str]:
    return {s["title"] for s in world.stories} | {s["body"] for s in world.stories}


def test_stories_export_has_no_text_unless_an_admin_asks_and_the_story_is_public(app, world):
    admin = _client(app, "admin")
    plain = admin.get("/exports/stories.csv", query_string=RANGE).get_data().decode("utf-8-sig")
    assert not any(text in plain for text in _all_text(world))
    header, rows = _csv(admin.get("/exports/stories.csv", query_string=RANGE))
    expected = sorted((s for s in world.stories if s["status"] != "withdrawn" and _in_range(s["received_at"])),
                      key=lambda s: (s["received_at"], str(s["id"])))
    assert [r["id"] for r in rows] == [str(s["id"]) for s in expected]
    for row, story in zip(rows, expected):
        assert row["has_media"] == ("true" if story["media"] else "false")
        assert row["about_minor"] == ("true" if story["about_minor"] else "false")
        assert (row["language"], row["status"], row["visibility"], row["consent_kind"]) == (
            story["language"], story["status"], story["visibility"], story["consent_kind"])
        assert row["event_id"] == (str(story["event_id"]) if story["event_id"] else "")

    header, rows = _csv(admin.get("/exports/stories.csv", query_string={**RANGE, "include_text": "1"}))
    assert header == HEADERS["stories"] + ["title", "body"]
    by_id = {str(s["id"]): s for s in world.stories}
    shared = 0
    for row in rows:
        story = by_id[row["id"]]
        if story["status"] == "published" and story["visibility"] == "public":
            assert (row["title"], row["body"]) == (story["title"], story["body"])
            shared += 1
        else:
            assert (row["title"], row["body"]) == ("", "")
    assert shared >= 5
    texts = {r["body"] for r in rows}
    assert "Ми їхали три дні з двома валізами і котом." in texts or "وصلنا في نوفمبر، وكان البرد جديدًا علينا." in texts
    hidden_text = [s for s in world.stories if s["status"] != "published" or s["visibility"] != "public"]
    raw = admin.get("/exports/stories.json", query_string={**RANGE, "include_text": "1"}).get_data().decode()
    assert not any(f'"{s["title"]}"' in raw for s in hidden_text if s["title"].startswith("Story "))
    assert [e.detail["include_text"] for e in _exports() if e.detail["what"] == "stories"] == [False, False, True, True]


def test_only_admins_may_ask_for_story_text_or_the_audit_log(app, world):
    giulia = _client(app, "giulia")
    assert giulia.get("/exports/stories.csv", query_string={**RANGE, "include_text": "1"}).status_code == 403
    assert giulia.get("/exports/audit.csv", query_string=RANGE).status_code == 403
    assert giulia.get("/exports/audit.json").status_code == 403
    assert _exports() == []  # refused exports are not exports


def test_a_facilitator_exports_their_own_communities_only(app, world):
    giulia = _client(app, "giulia")
    for what in ("stories", "events", "aggregates", "attendance"):
        _header, rows = _csv(giulia.get(f"/exports/{what}.csv", query_string=RANGE))
        assert rows and {r["community"] for r in rows} == {"siena"}, what
        assert giulia.get(f"/exports/{what}.csv", query_string={**RANGE, "community": "belgrade"}).status_code == 404


def test_participants_and_strangers_cannot_export(app, world):
    for what in HEADERS:
        assert _client(app, "amina").get(f"/exports/{what}.csv").status_code == 403
        anonymous = _client(app, None).get(f"/exports/{what}.csv")
        assert anonymous.status_code == 302 and "/signin" in anonymous.headers["Location"]
    assert _client(app, "admin").get("/exports/people.csv").status_code == 404
    assert _client(app, "admin").get("/exports/stories.xlsx").status_code == 404
    assert _exports() == []


def test_attendance_lists_the_people_linked_with_their_answers(app, world):
    _header, rows = _csv(_client(app, "admin").get("/exports/attendance.csv", query_string=RANGE))
    expected = [(e["id"], linked) for e in sorted(world.events, key=lambda e: (e["starts_on"], e["id"]))
                if FIRST <= e["starts_on"] <= LAST for linked in e["linked"]]
    assert [(int(r["event_id"]), (r["gender"], r["age"], r["origin"])) for r in rows] == [
        (event_id, tuple(v or "not_given" for v in linked)) for event_id, linked in expected]
    assert {r["username"] for r in rows} == {"amina", "giulia"}


def test_every_export_is_in_the_audit_log(app, world):
    admin = _client(app, "admin")
    admin.get("/exports/events.csv", query_string={**RANGE, "community": "utrecht"}).get_data()
    admin.get("/exports/aggregates.json", query_string={**RANGE, "period": "week"}).get_data()
    _client(app, "giulia").get("/exports/attendance.csv", query_string=RANGE).get_data()
    rows = _exports()
    assert [(e.actor_id, e.detail["what"], e.detail["format"], e.detail["period"]) for e in rows] == [
        (world.people["admin"].id, "events", "csv", "week"),
        (world.people["admin"].id, "aggregates", "json", "week"),
        (world.people["giulia"].id, "attendance", "csv", "week")]
    assert rows[0].community_id == world.communities["utrecht"]
    assert all(e.detail["via"] == "web" and e.detail["first"] == "2026-06-01" for e in rows)
    # The audit export lists them, and filters by action (the admin's audit viewer links so).
    _header, audit_rows = _csv(admin.get("/exports/audit.csv", query_string={"from": FIRST.isoformat(), "action": "export"}))
    assert [r["action"] for r in audit_rows] == ["export"] * 4  # the three above and itself
    # Without dates (as the audit viewer links): the whole log, not the last twelve weeks.
    from kultialogo.database import write_transaction
    with write_transaction():
        db.session.add(AuditEvent(action="story.publish", at=datetime(2025, 1, 5, tzinfo=timezone.utc), detail={}))
    _header, whole = _csv(admin.get("/exports/audit.csv"))
    assert [r["action"] for r in whole] == ["export"] * 4 + ["story.publish", "export"]  # in the order written
    assert whole[4]["at"].startswith("2025-01-05")
    assert json.loads(audit_rows[0]["detail"])["what"] == "events" and audit_rows[0]["actor"] == "admin"


def test_exports_are_streamed(app, world):
    response = _client(app, "admin").get("/exports/stories.csv", query_string=RANGE)
    assert response.is_streamed
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="kultialogo-stories-all-2026-06-01-2026-10-31.csv"'


def test_the_command_line_export(app, world, tmp_path):
    from kultialogo.exports.cli import export_command
    runner = app.test_cli_runner()
    target = tmp_path / "events.csv"
    result = runner.invoke(export_command, ["events", "--format", "csv", "--community", "siena",
                                            "--from", "2026-06-01", "--to", "2026-10-31", "--output", str(target)])
    assert result.exit_code == 0, result.output
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw[3:].decode())))
    assert [int(r["id"]) for r in rows] == [e["id"] for e in sorted(world.events, key=lambda e: (e["starts_on"], e["id"]))
                                            if e["community"] == "siena" and FIRST <= e["starts_on"] <= LAST]
    result = runner.invoke(export_command, ["aggregates", "--format", "json", "--from", "2026-06-01",
                                            "--to", "2026-10-31", "--period", "month"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout_bytes if hasattr(result, "stdout_bytes") else result.output)
    assert document["columns"] == HEADERS["aggregates"] and len(document["rows"]) == 5 * 3
    web = _json(_client(app, "admin").get("/exports/aggregates.json", query_string={**RANGE, "period": "month"}))
    assert document["rows"] == web["rows"]  # the same numbers both ways
    bad = runner.invoke(export_command, ["events", "--community", "atlantis"])
    assert bad.exit_code != 0 and "Not found" in bad.output
    rows = _exports()
    assert [(e.actor_id, e.detail["what"], e.detail["via"]) for e in rows] == [
        (None, "events", "cli"), (None, "aggregates", "cli"), (world.people["admin"].id, "aggregates", "web")]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) >= 3
