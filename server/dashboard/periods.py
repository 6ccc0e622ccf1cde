"""Weeks and months in SQL, the same on SQLite and PostgreSQL, so the database groups the rows.

``week_start(col)`` is the Monday of the ISO week a time or date falls in, ``month_start(col)``
the first of its month, both as DATE and in UTC (times are stored in UTC). Python's twins
(``week_of``, ``month_of``) make the list of periods a chart shows, empty ones included.
"""
from datetime import date, timedelta

from sqlalchemy import Date, DateTime
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

WEEK = "week"
MONTH = "month"
PERIODS = (WEEK, MONTH)


class _PeriodStart(FunctionElement):
    type = Date()
    inherit_cache = True


class week_start(_PeriodStart):  # noqa: N801  (reads as SQL)
    name = "week_start"
    inherit_cache = True


class month_start(_PeriodStart):  # noqa: N801
    name = "month_start"
    inherit_cache = True


def _argument(element, compiler, **kw) -> tuple[str, bool]:
    column = list(element.clauses)[0]
    return compiler.process(column, **kw), isinstance(column.type, DateTime)


@compiles(week_start, "sqlite")
def _week_sqlite(element, compiler, **kw):
    # 'weekday 0' moves forward to the next Sunday (or stays on one); six days back is Monday.
    arg, _ = _argument(element, compiler, **kw)
    return f"date({arg}, 'weekday 0', '-6 days')"


@compiles(month_start, "sqlite")
def _month_sqlite(element, compiler, **kw):
    arg, _ = _argument(element, compiler, **kw)
    return f"date({arg}, 'start of month')"


def _postgresql(unit: str):
    def compile_(element, compiler, **kw):
        arg, is_time = _argument(element, compiler, **kw)
        if is_time:  # timestamptz: truncate in UTC, not in the session's time zone
            arg = f"timezone('UTC', {arg})"
        return f"CAST(date_trunc('{unit}', {arg}) AS DATE)"
    return compile_


compiles(week_start, "postgresql")(_postgresql("week"))
compiles(month_start, "postgresql")(_postgresql("month"))


def bucket(period: str, column):
    return week_start(column) if period == WEEK else month_start(column)


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_of(day: date) -> date:
    return day.replace(day=1)


def start_of(period: str, day: date) -> date:
    return week_of(day) if period == WEEK else month_of(day)


def next_start(period: str, start: date) -> date:
    if period == WEEK:
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def periods_between(period: str, first: date, last: date) -> list[date]:
    """Every period start from the one holding ``first`` to the one holding ``last``."""
    out, current = [], start_of(period, first)
    while current <= last:
        out.append(current)
        current = next_start(period, current)
    return out


def as_date(value) -> date:
    """A period start as the driver returned it (a date, or ISO text from a raw SQLite row)."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
