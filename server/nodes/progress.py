"""The running (or last) sync of a node, as its admin page shows it.

``NodeLink.progress`` is filled by the sync as it goes: {"phase": "push"|"pull"|"media"|"done"|
"failed", "records_done", "records_total" (or null), "bytes_done", "bytes_total" (or null),
"started_at", "updated_at" (ISO 8601), "rate" (records a second)}. Read defensively: a sync
killed half-way leaves whatever it last wrote.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from babel.units import format_unit
from flask_babel import get_locale

from ..i18n import native_digits
from ..timeutil import as_utc, utcnow

RUNNING = ("push", "pull", "media")
# A sync that says it is running but has not written for this long was stopped (a cut, kill -9).
STALLED_AFTER = timedelta(minutes=2)


@dataclass
class SyncProgress:
    phase: str
    running: bool             # the page refreshes itself while true
    stalled: bool             # said it was running, but stopped writing
    records_done: int
    records_total: int | None
    bytes_done: int
    bytes_total: int | None
    rate: float | None        # records a second
    seconds_left: float | None
    bar_value: int | None     # the <progress> element; None: indeterminate
    bar_max: int | None
    started_at: datetime | None
    updated_at: datetime | None


def _count(value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return None
    return int(value)


def _time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


def progress_of(progress: dict | None, now: datetime | None = None) -> SyncProgress | None:
    """What to show of a link's progress; None when no sync has run yet."""
    if not isinstance(progress, dict) or not progress.get("phase"):
        return None
    now = now or utcnow()
    phase = str(progress["phase"])
    records_done = _count(progress.get("records_done")) or 0
    records_total = _count(progress.get("records_total"))
    bytes_done = _count(progress.get("bytes_done")) or 0
    bytes_total = _count(progress.get("bytes_total"))
    started_at, updated_at = _time(progress.get("started_at")), _time(progress.get("updated_at"))
    rate = progress.get("rate")
    rate = float(rate) if isinstance(rate, (int, float)) and not isinstance(rate, bool) and rate > 0 else None

    running = phase in RUNNING
    stalled = running and (updated_at is None or now - updated_at > STALLED_AFTER)
    running = running and not stalled

    seconds_left = None
    if running and records_total is not None and rate:
        seconds_left = max(records_total - records_done, 0) / rate
    elif running and bytes_total and bytes_done and started_at and updated_at and updated_at > started_at:
        bytes_rate = bytes_done / (updated_at - started_at).total_seconds()
        seconds_left = max(bytes_total - bytes_done, 0) / bytes_rate

    if records_total:
        bar_value, bar_max = min(records_done, records_total), records_total
    elif bytes_total:
        bar_value, bar_max = min(bytes_done, bytes_total), bytes_total
    elif phase == "done":
        bar_value, bar_max = 1, 1
    else:
        bar_value = bar_max = None
    return SyncProgress(phase, running, stalled, records_done, records_total, bytes_done, bytes_total,
                        rate, seconds_left, bar_value, bar_max, started_at, updated_at)


_UNITS = ((1024 ** 3, "digital-gigabyte"), (1024 ** 2, "digital-megabyte"), (1024, "digital-kilobyte"))


def format_size(size: int, locale=None) -> str:
    """A number of bytes as the reader writes it: "12.5 MB", "١٢٫٥ م.ب"."""
    locale = str(locale or get_locale())
    for factor, unit in _UNITS:
        if size >= factor:
            return native_digits(format_unit(round(size / factor, 1), unit, length="short", locale=locale), locale)
    return native_digits(format_unit(size, "digital-byte", length="short", locale=locale), locale)
