"""The dashboard's numbers: every count is a GROUP BY in the database, bucketed by week or
month there (periods.py); Python only lays the grouped rows out in tables. The story charts
add up the stories per day and month the database keeps (StoryCount), so they cost the same at a
thousand stories and at a million.

Withdrawn stories are left out everywhere: their authors took them back. Stories are counted
in the period they arrived (received_at, the server's clock), by their status now; people by
when they joined a community; events by their first day. Weeks start on Monday, in UTC.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, distinct, func, select, union_all

from .. import policy
from ..accounts.models import Membership
from ..communities.models import Community, communities_among
from ..errors import Problem
from ..events.labels import ANSWER_LABELS
from ..events.models import DIMENSIONS, NOT_GIVEN, Event, EventAttendee, EventTally
from ..extensions import db
from ..help import service as help_requests
from ..help.labels import TOPIC_LABELS
from ..help.models import HelpRequest
from ..i18n import language_name
from ..moderation.models import StoryReport
from ..replies.models import Reply
from ..stories.models import (STATUS_HIDDEN, STATUS_PENDING, STATUS_PUBLISHED, STATUS_REJECTED, STATUS_WITHDRAWN,
                              Story, StoryCount)
from ..timeutil import as_utc, utcnow
from .periods import MONTH, PERIODS, WEEK, as_date, bucket, next_start, periods_between, week_of

DEFAULT_WEEKS = 12
WEEKLY_UP_TO_DAYS = 26 * 7      # a longer range is shown by month (a bar a week would be a hairline)
LONGEST_RANGE_DAYS = 10 * 366   # ten years by month is 120 bars: enough
MAX_SERIES = 8                  # more languages or communities than this: the largest 7 and "Other"
OTHER = "__other__"

STATUSES_SHOWN = (STATUS_PENDING, STATUS_PUBLISHED, STATUS_REJECTED, STATUS_HIDDEN)
STATUS_LABELS = {STATUS_PENDING: _l("Waiting for review"), STATUS_PUBLISHED: _l("Published"),
                 STATUS_REJECTED: _l("Not published"), STATUS_HIDDEN: _l("Hidden")}
# Okabe–Ito: told apart by people with colour-blindness, and printable in grey.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#8C6D1F", "#332288")
GREY = "#8A8A8A"
ATTENDANCE_TITLES = {"gender": _l("Attendance per month, by gender"), "age": _l("Attendance per month, by age"),
                     "origin": _l("Attendance per month: newcomers and locals")}
STATUS_COLOURS = {STATUS_PENDING: "#E69F00", STATUS_PUBLISHED: "#009E73", STATUS_REJECTED: "#D55E00",
                  STATUS_HIDDEN: GREY}


# --- Filters -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    first: date
    last: date
    period: str
    community: Community | None = None       # the one chosen, or None for all the viewer's
    community_ids: tuple[int, ...] | None = None  # None: every community (an admin, unfiltered)

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=timezone.utc)

    @property
    def before(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=timezone.utc)

    def query_args(self) -> dict:
        """The filters as GET parameters (export links carry them)."""
        args = {"from": self.first.isoformat(), "to": self.last.isoformat(), "period": self.period}
        if self.community is not None:
            args["community"] = self.community.slug
        return args


def default_range(today: date | None = None) -> tuple[date, date]:
    """The last twelve weeks: from the Monday eleven weeks before this week's, to today."""
    today = today or utcnow().date()
    return week_of(today) - timedelta(weeks=DEFAULT_WEEKS - 1), today


def _parse_date(value, name) -> date | None:
    if value in (None, ""):
        return None
    try:
        parsed = date.fromisoformat(str(value).strip())
    except ValueError:
        raise Problem("bad_date_range", field=name) from None
    if not 1990 <= parsed.year <= 2100:
        raise Problem("bad_date_range", field=name)
    return parsed


def viewer_communities(viewer) -> list[Community]:
    """The communities whose numbers this viewer may see (all of them for an admin)."""
    return communities_among(policy.dashboard_community_ids(viewer))


def parse_filters(viewer, args, today: date | None = None, *, max_days: int | None = LONGEST_RANGE_DAYS,
                  operator: bool = False) -> Filters:
    """Filters from GET parameters (community, from, to, period), limited to what the viewer
    may see; Problem for a community they may not see or a range that is not one.
    ``operator``: the server's operator on the command line, who sees every community."""
    if not operator and not policy.can_view_dashboard(viewer):
        raise Problem("forbidden", status=403)
    allowed = None if operator else policy.dashboard_community_ids(viewer)
    default_first, default_last = default_range(today)
    first = _parse_date(args.get("from"), "from") or default_first
    last = _parse_date(args.get("to"), "to") or default_last
    if first > last or (max_days is not None and (last - first).days > max_days):
        raise Problem("bad_date_range", field="from")
    period = args.get("period") or ""
    if period and period not in PERIODS:
        raise Problem("bad_period", field="period")
    if not period:
        period = WEEK if (last - first).days <= WEEKLY_UP_TO_DAYS else MONTH
    slug = (args.get("community") or "").strip()
    community = None
    ids = None if allowed is None else tuple(sorted(allowed))
    if slug:
        community = db.session.scalar(select(Community).where(Community.slug == slug))
        if community is None or (allowed is not None and community.id not in allowed):
            raise Problem("not_found", status=404, field="community")
        ids = (community.id,)
    return Filters(first=first, last=last, period=period, community=community, community_ids=ids)


def _in_communities(column, filters: Filters):
    return column.in_(filters.community_ids) if filters.community_ids is not None else True


# --- Tables ------------------------------------------------------------------------------------

@dataclass
class Series:
    key: str
    label: str
    colour: str
    values: list[int]

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass
class Table:
    """Counts per period (rows) and series (columns): a chart and the table beside it."""
    key: str
    title: str
    period: str
    periods: list[date]
    series: list[Series] = field(default_factory=list)
    extra: list[Series] = field(default_factory=list)  # columns in the table, not in the chart

    @property
    def totals(self) -> list[int]:
        return [sum(s.values[i] for s in self.series) for i in range(len(self.periods))]

    @property
    def grand_total(self) -> int:
        return sum(self.totals)


def _grid(rows, periods: list[date]) -> dict:
    """{key: [count per period]} from grouped (period_start, key, count) rows."""
    index = {p: i for i, p in enumerate(periods)}
    out: dict = {}
    for start, key, count in rows:
        i = index.get(as_date(start))
        if i is None:  # a period outside the range (cannot happen with the WHERE, but be exact)
            continue
        out.setdefault(key, [0] * len(periods))[i] += int(count or 0)
    return out


def _top(grid: dict, labels: dict, periods) -> list[Series]:
    """The largest series first; beyond MAX_SERIES the smallest are summed as "Other"."""
    ranked = sorted(grid.items(), key=lambda item: (-sum(item[1]), str(item[0])))
    if len(ranked) > MAX_SERIES:
        kept, rest = ranked[:MAX_SERIES - 1], ranked[MAX_SERIES - 1:]
        other = [sum(values[i] for _k, values in rest) for i in range(len(periods))]
        ranked = kept + [(OTHER, other)]
    out = []
    for n, (key, values) in enumerate(ranked):
        if key == OTHER:
            out.append(Series(OTHER, str(_l("Other")), GREY, values))
        else:
            out.append(Series(str(key), labels.get(key, str(key)), PALETTE[n % len(PALETTE)], values))
    return out


def story_counts(filters: Filters, dimension: str | None = None) -> list[tuple]:
    """Stories received in the range, added up from the counts per day and per month the
    database keeps as stories arrive and change (stories.models.StoryCount, migration 0025):
    (period start, community id, dimension, value, count), a period's groups possibly split over
    several rows (the caller adds them up). The whole months of a monthly range are read as
    months, everything else as days: at most a row per month or day, community and value,
    however many stories there are (the GROUP BY over the stories themselves read all
    1,000,000 of them for two years). Withdrawn stories are not in the counts."""
    period = bucket(filters.period, StoryCount.start).label("period")
    parts = []
    for grain, first, last in _count_ranges(filters):
        query = (select(period, StoryCount.community_id, StoryCount.dimension, StoryCount.value,
                        func.sum(StoryCount.stories))
                 .where(StoryCount.period == grain, StoryCount.start >= first, StoryCount.start <= last,
                        _in_communities(StoryCount.community_id, filters))
                 .group_by(period, StoryCount.community_id, StoryCount.dimension, StoryCount.value))
        if dimension is not None:
            query = query.where(StoryCount.dimension == dimension)
        parts.append(query)
    return db.session.execute(parts[0] if len(parts) == 1 else union_all(*parts)).all()


def _count_ranges(filters: Filters) -> list[tuple[str, date, date]]:
    """(grain, first, last) to read: the whole months of a monthly range by month, the days
    before and after them (and every day of a weekly range) by day."""
    first, last = filters.first, filters.last
    if filters.period != MONTH:
        return [("day", first, last)]
    whole_first = first if first.day == 1 else next_start(MONTH, first.replace(day=1))
    after = last + timedelta(days=1)
    whole_end = after if after.day == 1 else after.replace(day=1)  # the day after the last whole month
    if whole_first >= whole_end:
        return [("day", first, last)]
    ranges = [("month", whole_first, whole_end - timedelta(days=1))]
    if first < whole_first:
        ranges.append(("day", first, whole_first - timedelta(days=1)))
    if whole_end <= last:
        ranges.append(("day", whole_end, last))
    return ranges


def _story_rows(filters: Filters, key: str, counts=None):
    """(period, key value, count) from story_counts(). Every story is counted once by status, so
    the communities' totals are the status rows' (community 0 holds the stories in none)."""
    rows = counts if counts is not None else story_counts(filters)
    if key == "community":
        return [(p, community or None, n) for p, community, dimension, _v, n in rows if dimension == "status"]
    return [(p, value, n) for p, _c, dimension, value, n in rows if dimension == key]


def _period_list(filters: Filters, period: str | None = None) -> list[date]:
    return periods_between(period or filters.period, filters.first, filters.last)


def _community_labels(ids) -> dict:
    locale = str(get_locale())
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    return {c.id: c.name_for(locale) for c in db.session.scalars(select(Community).where(Community.id.in_(ids)))}


def _period_title(period: str, week: str, month: str) -> str:
    return week if period == WEEK else month


def stories_by_status(filters: Filters, counts=None) -> Table:
    periods = _period_list(filters)
    grid = _grid(_story_rows(filters, "status", counts), periods)
    series = [Series(s, str(STATUS_LABELS[s]), STATUS_COLOURS[s], grid.get(s, [0] * len(periods)))
              for s in STATUSES_SHOWN]
    title = _period_title(filters.period, _l("Stories received per week, by status now"),
                          _l("Stories received per month, by status now"))
    return Table("status", str(title), filters.period, periods, series)


def stories_by_language(filters: Filters, counts=None) -> Table:
    periods = _period_list(filters)
    grid = _grid(_story_rows(filters, "language", counts), periods)
    labels = {code: language_name(code) for code in grid}
    title = _period_title(filters.period, _l("Stories received per week, by language"),
                          _l("Stories received per month, by language"))
    return Table("language", str(title), filters.period, periods, _top(grid, labels, periods))


def stories_by_community(filters: Filters, counts=None) -> Table:
    periods = _period_list(filters)
    grid = _grid(_story_rows(filters, "community", counts), periods)
    title = _period_title(filters.period, _l("Stories received per week, by community"),
                          _l("Stories received per month, by community"))
    return Table("community", str(title), filters.period, periods, _top(grid, _community_labels(grid), periods))


def people_joined(filters: Filters) -> Table:
    periods = _period_list(filters)
    period = bucket(filters.period, Membership.created_at).label("period")
    rows = db.session.execute(
        select(period, Membership.community_id, func.count())
        .where(Membership.created_at >= filters.since, Membership.created_at < filters.before,
               _in_communities(Membership.community_id, filters))
        .group_by(period, Membership.community_id)).all()
    grid = _grid(rows, periods)
    title = _period_title(filters.period, _l("People who joined a community, per week"),
                          _l("People who joined a community, per month"))
    return Table("people", str(title), filters.period, periods, _top(grid, _community_labels(grid), periods))


def replies_by_community(filters: Filters) -> Table:
    """Replies to stories written per week (or month), by the story's community: waiting and
    hidden ones count too (they are activity), those of withdrawn stories are gone with them."""
    periods = _period_list(filters)
    period = bucket(filters.period, Reply.created_at).label("period")
    rows = db.session.execute(
        select(period, Story.community_id, func.count())
        .join(Story, Story.id == Reply.story_id)
        .where(Reply.created_at >= filters.since, Reply.created_at < filters.before,
               _in_communities(Story.community_id, filters))
        .group_by(period, Story.community_id)).all()
    grid = _grid(rows, periods)
    title = _period_title(filters.period, _l("Replies to stories per week, by community"),
                          _l("Replies to stories per month, by community"))
    return Table("replies", str(title), filters.period, periods, _top(grid, _community_labels(grid), periods))


def _event_range(filters: Filters):
    return and_(Event.starts_on >= filters.first, Event.starts_on <= filters.last,
                _in_communities(Event.community_id, filters))


def attendance(filters: Filters, dimension: str) -> Table:
    """Attendance per month (events by their first day): the head count split by one
    dimension's answers, linked people's plus anonymous counts, the rest "not given"; with the
    number of events and the head count as extra columns."""
    periods = _period_list(filters, MONTH)
    month = bucket(MONTH, Event.starts_on).label("period")
    totals = db.session.execute(
        select(month, func.count(Event.id), func.coalesce(func.sum(Event.head_count), 0))
        .where(_event_range(filters)).group_by(month)).all()
    events = _grid([(m, "events", n) for m, n, _h in totals], periods).get("events", [0] * len(periods))
    heads = _grid([(m, "people", h) for m, _n, h in totals], periods).get("people", [0] * len(periods))
    answer = getattr(EventAttendee, dimension)
    linked = db.session.execute(
        select(month, answer, func.count()).select_from(EventAttendee).join(Event, EventAttendee.event_id == Event.id)
        .where(_event_range(filters), answer.is_not(None)).group_by(month, answer)).all()
    tallied = db.session.execute(
        select(month, EventTally.value, func.sum(EventTally.count)).select_from(EventTally)
        .join(Event, EventTally.event_id == Event.id)
        .where(_event_range(filters), EventTally.dimension == dimension).group_by(month, EventTally.value)).all()
    grid = _grid([*linked, *tallied], periods)
    values = DIMENSIONS[dimension]
    series = []
    for n, value in enumerate(values):
        series.append(Series(value, str(ANSWER_LABELS[dimension][value]), PALETTE[n % len(PALETTE)],
                             grid.get(value, [0] * len(periods))))
    known = [sum(s.values[i] for s in series) for i in range(len(periods))]
    series.append(Series(NOT_GIVEN, str(ANSWER_LABELS[dimension][NOT_GIVEN]), GREY,
                         [max(heads[i] - known[i], 0) for i in range(len(periods))]))
    title = ATTENDANCE_TITLES[dimension]
    extra = [Series("events", str(_l("Events")), GREY, events), Series("people", str(_l("People")), GREY, heads)]
    return Table(f"attendance-{dimension}", str(title), MONTH, periods, series, extra)


def help_requests_by_topic(filters: Filters, column, key: str, title) -> Table:
    """Help requests per period and topic, by when they were opened (created_at) or closed
    (closed_at): counts only, never who asked or what."""
    periods = periods_between(filters.period, filters.first, filters.last)
    p = bucket(filters.period, column).label("p")
    rows = db.session.execute(
        select(p, HelpRequest.topic, func.count())
        .where(column >= filters.since, column < filters.before, _in_communities(HelpRequest.community_id, filters))
        .group_by(p, HelpRequest.topic)).all()
    labels = {topic: str(label) for topic, label in TOPIC_LABELS.items()}
    return Table(key, str(title), filters.period, periods, _top(_grid(rows, periods), labels, periods))


@dataclass
class QueueRow:
    community: str
    pending: int = 0
    oldest_pending: datetime | None = None
    reported: int = 0
    oldest_report: datetime | None = None


def queues(filters: Filters) -> list[QueueRow]:
    """Now, whatever the date range: stories waiting for review and stories with open
    reports, per community, with the oldest of each (facilitators clear them oldest first)."""
    pending = _pending(filters)
    reported = db.session.execute(
        select(Story.community_id, func.count(distinct(StoryReport.story_id)), func.min(StoryReport.created_at))
        .select_from(StoryReport).join(Story, StoryReport.story_id == Story.id)
        .where(StoryReport.resolved_at.is_(None), Story.status != STATUS_WITHDRAWN,
               _in_communities(Story.community_id, filters))
        .group_by(Story.community_id)).all()
    ids = {row[0] for row in pending} | {row[0] for row in reported}
    if filters.community_ids is not None:
        ids |= set(filters.community_ids)
    labels = _community_labels(ids)
    rows = {cid: QueueRow(labels.get(cid, "")) for cid in ids if cid is not None}
    for cid, count, oldest in pending:
        if cid in rows:
            rows[cid].pending, rows[cid].oldest_pending = int(count), as_utc(oldest)
    for cid, count, oldest in reported:
        if cid in rows:
            rows[cid].reported, rows[cid].oldest_report = int(count), as_utc(oldest)
    return sorted(rows.values(), key=lambda r: r.community.casefold())


def _pending(filters: Filters) -> list[tuple]:
    """(community id, stories waiting, the oldest one's arrival) per community with any. The
    counts come from the monthly story counts and each oldest from one probe of
    ix_stories_waiting (status, community_id, received_at): a GROUP BY over the waiting
    stories themselves read all of them (53 of the page's 95 ms at 1,000,000 stories)."""
    waiting = db.session.execute(
        select(StoryCount.community_id, func.sum(StoryCount.stories))
        .where(StoryCount.period == "month", StoryCount.dimension == "status", StoryCount.value == STATUS_PENDING,
               StoryCount.community_id != 0, _in_communities(StoryCount.community_id, filters))
        .group_by(StoryCount.community_id)).all()
    counts = {cid: int(n) for cid, n in waiting if n}
    if not counts:
        return []
    oldest = (select(func.min(Story.received_at))
              .where(Story.status == STATUS_PENDING, Story.community_id == Community.id).scalar_subquery())
    found = db.session.execute(select(Community.id, oldest).where(Community.id.in_(counts)))
    return [(cid, counts[cid], at) for cid, at in found]


@dataclass
class Dashboard:
    filters: Filters
    stories: list[Table]
    people: Table
    attendance: list[Table]
    queues: list[QueueRow]
    now: datetime
    replies: Table | None = None
    help: list[Table] = field(default_factory=list)
    help_median_hours: float | None = None  # from opening to a mediator's or coach's first answer

    @property
    def charts(self) -> list[Table]:
        return [*self.stories, self.people, *([self.replies] if self.replies else []), self.attendance[0], *self.help]


def build(viewer, filters: Filters) -> Dashboard:
    """Everything the dashboard page shows, for these filters."""
    if not policy.can_view_dashboard(viewer):
        raise Problem("forbidden", status=403)
    counts = story_counts(filters)
    return Dashboard(
        filters=filters,
        stories=[stories_by_status(filters, counts), stories_by_language(filters, counts),
                 stories_by_community(filters, counts)],
        people=people_joined(filters),
        attendance=[attendance(filters, d) for d in DIMENSIONS],
        queues=queues(filters),
        now=utcnow(),
        replies=replies_by_community(filters),
        help=[help_requests_by_topic(filters, HelpRequest.created_at, "help-opened", _l("Help requests opened, by topic")),
              help_requests_by_topic(filters, HelpRequest.closed_at, "help-closed", _l("Help requests closed, by topic"))],
        help_median_hours=help_requests.median_hours_to_first_answer(filters.community_ids, filters.since,
                                                                     filters.before))
