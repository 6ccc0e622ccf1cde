"""What the node's admin page makes of NodeLink.progress, however a sync left it."""
from datetime import datetime, timedelta, timezone

from kultialogo.nodes.progress import format_size, progress_of

NOW = datetime(2026, 7, 25, 12, 0, tzinfo=timezone.utc)


def test_no_sync_yet_is_nothing_to_show():
    assert progress_of(None, NOW) is None and progress_of({}, NOW) is None


def test_time_left_comes_from_the_record_rate_else_from_the_bytes_so_far():
    p = progress_of({"phase": "pull", "records_done": 100, "records_total": 400, "rate": 50,
                     "updated_at": "2026-07-25T11:59:59Z"}, NOW)
    assert p.running and p.seconds_left == 6 and (p.bar_value, p.bar_max) == (100, 400)
    p = progress_of({"phase": "media", "bytes_done": 1000, "bytes_total": 5000,
                     "started_at": "2026-07-25T11:59:50Z", "updated_at": "2026-07-25T11:59:59Z"}, NOW)
    assert p.seconds_left == 36 and (p.bar_value, p.bar_max) == (1000, 5000)


def test_nonsense_from_a_half_written_progress_is_ignored():
    p = progress_of({"phase": "push", "records_done": -3, "records_total": "many", "bytes_done": True,
                     "rate": "fast", "updated_at": "yesterday"}, NOW)
    assert (p.records_done, p.records_total, p.bytes_done, p.rate, p.seconds_left) == (0, None, 0, None, None)
    assert p.stalled and not p.running and p.bar_max is None


def test_a_sync_quiet_for_minutes_is_taken_as_stopped():
    quiet = (NOW - timedelta(minutes=3)).isoformat()
    p = progress_of({"phase": "push", "updated_at": quiet}, NOW)
    assert p.stalled and not p.running


def test_sizes_read_in_the_readers_units_and_digits():
    assert format_size(512, "en") == "512 byte"
    assert format_size(1536, "en") == "1.5 kB"
    assert format_size(12 * 1024 * 1024, "en") == "12 MB"
    assert format_size(12 * 1024 * 1024, "fa").startswith("۱۲")
