"""Exports for reporting: CSV (UTF-8 with a BOM, so spreadsheet programs read Arabic and
Cyrillic right) and JSON, streamed row by row so memory stays flat however large the data.

Each export is a list of columns and a generator of rows. Rows come from the database in
batches (yield_per: a server-side cursor on PostgreSQL); numbers that need grouping are
grouped by the database. Every export is written in the audit log before its first byte.
"""
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, literal, select

from .. import audit, policy
from ..accounts.models import Account, Membership
from ..audit import AuditEvent
from ..communities.models import Community
from ..dashboard.periods import as_date, bucket, periods_between
from ..dashboard.service import Filters, parse_filters, story_counts
from ..database import write_transaction
from ..errors import Problem
from ..events.models import DIMENSIONS, NOT_GIVEN, Event, EventAttendee, EventTally
from ..extensions import db
from ..help import service as help_requests
from ..stories.models import (STATUS_HIDDEN, STATUS_PENDING, STATUS_PUBLISHED, STATUS_REJECTED,
                              STATUS_WITHDRAWN, VISIBILITY_PUBLIC, Story)
from ..timeutil import as_utc, isoformat, utcnow

EXPORTS = ("events", "attendance", "stories", "aggregates", "help", "audit")
FORMATS = ("csv", "json")
BATCH = 1000          # rows fetched from the database at a time
CSV_CHUNK_ROWS = 200  # rows per chunk written to the response
BOM = "\ufeff"


@dataclass(frozen=True)
class Export:
    what: str
    format: str
    filters: Filters
    include_text: bool = False
    action: str | None = None  # the audit export's filter by action

    @property
    def filename(self) -> str:
        scope = self.filters.community.slug if self.filters.community is not None else "all"
        return f"kultialogo-{self.what}-{scope}-{self.filters.first}-{self.filters.last}.{self.format}"


# --- Choosing what to export -----------------------------------------------------------------

def _check_kind(what: str, fmt: str) -> None:
    if what not in EXPORTS:
        raise Problem("bad_export", status=404, field="what")
    if fmt not in FORMATS:
        raise Problem("bad_format", status=404, field="format")


def _since_the_start(what: str, args: dict) -> dict:
    """The audit log without a start date is the whole log (the admin's audit viewer links so),
    not the dashboard's last twelve weeks."""
    if what == "audit" and not args.get("from"):
        first = db.session.scalar(select(func.min(AuditEvent.at)))
        args = {**args, "from": (as_utc(first) or utcnow()).date().isoformat()}
    return args


def for_viewer(viewer, what: str, fmt: str, args) -> Export:
    """An export asked for from the dashboard (GET parameters as the dashboard's filters)."""
    _check_kind(what, fmt)
    if not policy.can_export(viewer, what):
        raise Problem("forbidden", status=403)
    args = _since_the_start(what, args.to_dict() if hasattr(args, "to_dict") else dict(args))
    filters = parse_filters(viewer, args, max_days=None)
    include_text = what == "stories" and args.get("include_text") in ("1", "on", "true", "y")
    if include_text and not policy.can_export_story_text(viewer):
        raise Problem("forbidden", status=403, field="include_text")
    return Export(what, fmt, filters, include_text, action=(args.get("action") or None) if what == "audit" else None)


def for_operator(what: str, fmt: str, *, community: str | None = None, first: date | None = None,
                 last: date | None = None, period: str | None = None, include_text: bool = False,
                 action: str | None = None) -> Export:
    """An export from the command line: the server's operator, who may export everything."""
    _check_kind(what, fmt)
    args = _since_the_start(what, {"community": community or "", "from": first.isoformat() if first else "",
                                   "to": last.isoformat() if last else "", "period": period or ""})
    return Export(what, fmt, parse_filters(None, args, max_days=None, operator=True),
                  include_text and what == "stories", action=action if what == "audit" else None)


def record(actor, export: Export, via: str) -> None:
    """The audit row for an export (ids, kinds and the filters: no text)."""
    f = export.filters
    with write_transaction():
        audit.record("export", actor, community_id=f.community.id if f.community is not None else None,
                     what=export.what, format=export.format, include_text=export.include_text,
                     first=f.first.isoformat(), last=f.last.isoformat(), period=f.period, via=via)


# --- Rows ------------------------------------------------------------------------------------

def _in(column, filters: Filters):
    return column.in_(filters.community_ids) if filters.community_ids is not None else True


def _stream(query) -> Iterator:
    """Rows in batches: a server-side cursor on PostgreSQL, fetchmany on SQLite."""
    result = db.session.execute(query.execution_options(yield_per=BATCH))
    try:
        yield from result
    finally:
        result.close()


ANSWER_COLUMNS = [f"{d}_{v}" for d, values in DIMENSIONS.items() for v in (*values, NOT_GIVEN)]
EVENT_COLUMNS = ["id", "community", "kind", "title", "starts_on", "ends_on", "place", "head_count",
                 "linked_attendees", *ANSWER_COLUMNS]


def events_rows(filters: Filters) -> Iterator[dict]:
    """One row per event (by first day in the range): the head count and, for gender, age and
    origin, each answer's count (linked people plus anonymous counts) and the rest not given."""
    linked_cols = [func.count(EventAttendee.id).label("linked")]
    tally_cols = []
    for d, values in DIMENSIONS.items():
        answer = getattr(EventAttendee, d)
        for v in values:
            linked_cols.append(func.sum(case((answer == v, 1), else_=0)).label(f"l_{d}_{v}"))
            tally_cols.append(func.sum(case((and_(EventTally.dimension == d, EventTally.value == v), EventTally.count),
                                            else_=0)).label(f"t_{d}_{v}"))
    linked = select(EventAttendee.event_id, *linked_cols).group_by(EventAttendee.event_id).subquery()
    tallied = select(EventTally.event_id, *tally_cols).group_by(EventTally.event_id).subquery()
    query = (select(Event.id, Community.slug, Event.kind, Event.title, Event.starts_on, Event.ends_on, Event.place,
                    Event.head_count, linked, tallied)
             .join(Community, Community.id == Event.community_id)
             .outerjoin(linked, linked.c.event_id == Event.id)
             .outerjoin(tallied, tallied.c.event_id == Event.id)
             .where(Event.starts_on >= filters.first, Event.starts_on <= filters.last, _in(Event.community_id, filters))
             .order_by(Event.starts_on, Event.id))
    for row in _stream(query):
        m = row._mapping
        head = m["head_count"]
        out = {"id": m["id"], "community": m["slug"], "kind": m["kind"], "title": m["title"],
               "starts_on": m["starts_on"].isoformat(), "ends_on": m["ends_on"].isoformat() if m["ends_on"] else None,
               "place": m["place"], "head_count": head, "linked_attendees": int(m["linked"] or 0)}
        for d, values in DIMENSIONS.items():
            known = 0
            for v in values:
                n = int(m[f"l_{d}_{v}"] or 0) + int(m[f"t_{d}_{v}"] or 0)
                known += n
                out[f"{d}_{v}"] = n if head is not None else None
            out[f"{d}_{NOT_GIVEN}"] = max(head - known, 0) if head is not None else None
        yield out


ATTENDANCE_COLUMNS = ["event_id", "event_title", "starts_on", "community", "username", "gender", "age", "origin"]


def attendance_rows(filters: Filters) -> Iterator[dict]:
    """One row per member linked to an event: who came, and the answers they agreed to give."""
    query = (select(Event.id, Event.title, Event.starts_on, Community.slug, Account.username,
                    EventAttendee.gender, EventAttendee.age, EventAttendee.origin)
             .select_from(EventAttendee).join(Event, Event.id == EventAttendee.event_id)
             .join(Community, Community.id == Event.community_id)
             .outerjoin(Account, Account.id == EventAttendee.account_id)
             .where(Event.starts_on >= filters.first, Event.starts_on <= filters.last, _in(Event.community_id, filters))
             .order_by(Event.starts_on, Event.id, EventAttendee.id))
    for event_id, title, starts_on, slug, username, gender, age, origin in _stream(query):
        yield {"event_id": event_id, "event_title": title, "starts_on": starts_on.isoformat(), "community": slug,
               "username": username or "", "gender": gender or NOT_GIVEN, "age": age or NOT_GIVEN,
               "origin": origin or NOT_GIVEN}


STORY_COLUMNS = ["id", "community", "language", "status", "visibility", "received_at", "created_at", "updated_at",
                 "event_id", "has_media", "about_minor", "consent_kind"]
STORY_TEXT_COLUMNS = ["title", "body"]


def stories_rows(filters: Filters, include_text: bool) -> Iterator[dict]:
    """Stories' details (never their text), by arrival in the range. With ``include_text``,
    the title and body of public, published stories only: the condition is in the SQL, so no
    other story's text even leaves the database."""
    shareable = and_(Story.status == STATUS_PUBLISHED, Story.visibility == VISIBILITY_PUBLIC)
    text_cols = ([case((shareable, Story.title), else_=literal("")).label("title"),
                  case((shareable, Story.body), else_=literal("")).label("body")] if include_text else [])
    query = (select(Story.id, Community.slug, Story.language, Story.status, Story.visibility, Story.received_at,
                    Story.created_at, Story.updated_at, Story.event_id,
                    (func.json_array_length(Story.media) > 0).label("has_media"), Story.about_minor,
                    Story.consent_kind, *text_cols)
             .join(Community, Community.id == Story.community_id)
             .where(Story.received_at >= filters.since, Story.received_at < filters.before,
                    Story.status != STATUS_WITHDRAWN, _in(Story.community_id, filters))
             .order_by(Story.received_at, Story.id))
    for row in _stream(query):
        m = row._mapping
        out = {"id": str(m["id"]), "community": m["slug"], "language": m["language"], "status": m["status"],
               "visibility": m["visibility"], "received_at": isoformat(m["received_at"]),
               "created_at": isoformat(m["created_at"]), "updated_at": isoformat(m["updated_at"]),
               "event_id": m["event_id"], "has_media": bool(m["has_media"]), "about_minor": bool(m["about_minor"]),
               "consent_kind": m["consent_kind"]}
        if include_text:
            out["title"], out["body"] = m["title"], m["body"]
        yield out


AGGREGATE_STATUSES = (STATUS_PENDING, STATUS_PUBLISHED, STATUS_REJECTED, STATUS_HIDDEN)
AGGREGATE_COLUMNS = ["period_start", "community", "stories", *[f"stories_{s}" for s in AGGREGATE_STATUSES],
                     "people_joined", "events", "attendance"]


def aggregate_rows(filters: Filters) -> Iterator[dict]:
    """Per period and community, every number grouped by the database: stories received (and
    by their status now), people who joined, events (by first day) and their head counts."""
    period = filters.period
    periods = periods_between(period, filters.first, filters.last)
    communities = list(db.session.execute(
        select(Community.id, Community.slug).where(_in(Community.id, filters)).order_by(Community.slug)))
    counts: dict = {}

    def add(rows, column):
        for start, community_id, n in rows:
            key = (as_date(start), community_id)
            counts.setdefault(key, {})[column] = counts.get(key, {}).get(column, 0) + int(n or 0)

    # Stories from the counts the database keeps (withdrawn ones are not in them), as the
    # dashboard reads them: the same numbers, at the cost of days and months, not stories.
    story_rows = [(p, c, status, n) for p, c, _dimension, status, n in story_counts(filters, "status")]
    add(((s, c, n) for s, c, _status, n in story_rows), "stories")
    for status in AGGREGATE_STATUSES:
        add(((s, c, n) for s, c, st, n in story_rows if st == status), f"stories_{status}")
    p = bucket(period, Membership.created_at).label("p")
    add(db.session.execute(
        select(p, Membership.community_id, func.count())
        .where(Membership.created_at >= filters.since, Membership.created_at < filters.before,
               _in(Membership.community_id, filters))
        .group_by(p, Membership.community_id)).all(), "people_joined")
    p = bucket(period, Event.starts_on).label("p")
    event_rows = db.session.execute(
        select(p, Event.community_id, func.count(Event.id), func.coalesce(func.sum(Event.head_count), 0))
        .where(Event.starts_on >= filters.first, Event.starts_on <= filters.last, _in(Event.community_id, filters))
        .group_by(p, Event.community_id)).all()
    add(((s, c, n) for s, c, n, _h in event_rows), "events")
    add(((s, c, h) for s, c, _n, h in event_rows), "attendance")
    for start in periods:
        for community_id, slug in communities:
            found = counts.get((start, community_id), {})
            yield {"period_start": start.isoformat(), "community": slug,
                   **{column: found.get(column, 0) for column in AGGREGATE_COLUMNS[2:]}}


HELP_COLUMNS = ["community", "topic", "outcome", "requests"]


def help_rows(filters: Filters) -> Iterator[dict]:
    """Help requests made in the range, counted by community, topic and outcome ("open" while
    not closed): the only trace of help requests any export holds (no text, no people)."""
    slugs = dict(db.session.execute(select(Community.id, Community.slug)).all())
    totals: dict = {}
    for row in help_requests.counts(filters.community_ids, filters.since, filters.before):
        key = (slugs.get(row["community_id"], ""), row["topic"], row["outcome"] or "open")
        totals[key] = totals.get(key, 0) + row["count"]
    for (slug, topic, outcome), n in sorted(totals.items()):
        yield {"community": slug, "topic": topic, "outcome": outcome, "requests": n}


AUDIT_COLUMNS = ["id", "at", "action", "actor_id", "actor", "story_id", "community", "detail"]


def audit_rows(filters: Filters, action: str | None = None) -> Iterator[dict]:
    """The audit log in the range, oldest first (ids, kinds and times; the actor's username)."""
    query = (select(AuditEvent.id, AuditEvent.at, AuditEvent.action, AuditEvent.actor_id, Account.username,
                    AuditEvent.story_id, Community.slug, AuditEvent.detail)
             .outerjoin(Account, Account.id == AuditEvent.actor_id)
             .outerjoin(Community, Community.id == AuditEvent.community_id)
             .where(AuditEvent.at >= filters.since, AuditEvent.at < filters.before)
             .order_by(AuditEvent.id))
    if filters.community is not None:
        query = query.where(AuditEvent.community_id == filters.community.id)
    if action:
        query = query.where(AuditEvent.action == action)
    for row in _stream(query):
        event_id, at, act, actor_id, username, story_id, slug, detail = row
        yield {"id": event_id, "at": isoformat(at), "action": act, "actor_id": actor_id, "actor": username or "",
               "story_id": str(story_id) if story_id else None, "community": slug,
               "detail": json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))}


def columns_and_rows(export: Export) -> tuple[list[str], Iterator[dict]]:
    f = export.filters
    if export.what == "events":
        return EVENT_COLUMNS, events_rows(f)
    if export.what == "attendance":
        return ATTENDANCE_COLUMNS, attendance_rows(f)
    if export.what == "stories":
        return STORY_COLUMNS + (STORY_TEXT_COLUMNS if export.include_text else []), stories_rows(f, export.include_text)
    if export.what == "aggregates":
        return AGGREGATE_COLUMNS, aggregate_rows(f)
    if export.what == "help":
        return HELP_COLUMNS, help_rows(f)
    return AUDIT_COLUMNS, audit_rows(f, export.action)


# --- Writers ---------------------------------------------------------------------------------

def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def csv_chunks(columns: list[str], rows: Iterator[dict]) -> Iterator[bytes]:
    """CSV as UTF-8 with a byte order mark, a chunk of rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow([_csv_value(row.get(c)) for c in columns])
        n += 1
        if n % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def json_chunks(export: Export, columns: list[str], rows: Iterator[dict]) -> Iterator[bytes]:
    """{"export", "generated_at", "filters", "columns", "rows": [...]}, one row at a time."""
    f = export.filters
    head = {"export": export.what, "generated_at": isoformat(utcnow()),
            "filters": {"community": f.community.slug if f.community is not None else None,
                        "from": f.first.isoformat(), "to": f.last.isoformat(), "period": f.period,
                        "include_text": export.include_text},
            "columns": columns}
    opening = json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": ['
    yield opening.encode("utf-8")
    parts, first = [], True
    for row in rows:
        parts.append(("\n" if first else ",\n") + json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False))
        first = False
        if len(parts) >= CSV_CHUNK_ROWS:
            yield "".join(parts).encode("utf-8")
            parts = []
    parts.append("\n]}\n")
    yield "".join(parts).encode("utf-8")


def chunks(export: Export) -> Iterator[bytes]:
    """The export's bytes, generated as they are read."""
    columns, rows = columns_and_rows(export)
    if export.format == "csv":
        return csv_chunks(columns, rows)
    return json_chunks(export, columns, rows)


MIMETYPES = {"csv": "text/csv", "json": "application/json"}
