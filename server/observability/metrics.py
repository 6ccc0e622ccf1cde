"""Prometheus metrics (prometheus_client): what is counted, and the text /metrics answers.

The metrics live in prometheus_client's default registry, once per process. Under gunicorn
(several processes) set PROMETHEUS_MULTIPROC_DIR to an empty folder before the processes
start: prometheus_client then keeps every value in a file there and /metrics sums them over
the processes (its multiprocess mode). Backlogs ("queue depth") are counted in the database
when scraped, by the functions domains register (``register_backlog``): nothing is counted on
the request path for them.
"""
import os
from collections.abc import Callable

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db

REQUESTS = Counter("kultialogo_http_requests_total", "HTTP requests answered, by route template, method and status",
                   ["route", "method", "status"])
# Buckets around what matters here: a pull should take milliseconds, a photo upload a second.
LATENCY = Histogram("kultialogo_http_request_duration_seconds", "Time to answer a request, by route template",
                    ["route"], buckets=(.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))
SYNC_ITEMS = Counter("kultialogo_sync_items_total", "Items pushed, by record kind and result "
                     "(created, updated, unchanged, conflict, rejected, ...)", ["kind", "result"])
UPLOADS = Counter("kultialogo_media_uploads_total", "Media files stored, by kind (image, audio)", ["kind"])
UPLOAD_BYTES = Counter("kultialogo_media_upload_bytes_total", "Bytes of media files stored (after cleaning), by kind",
                       ["kind"])

UNKNOWN_KIND = "unknown"

# name -> function returning a count, evaluated at each scrape (in an app context).
_backlogs: dict[str, Callable[[], int]] = {}


def register_backlog(name: str, count: Callable[[], int]) -> None:
    """A backlog /metrics reports as kultialogo_queue_depth{queue=name}, counted when scraped."""
    _backlogs[name] = count


class _Backlogs:
    """Counts the registered backlogs at scrape time (one cheap query each)."""

    def collect(self):
        family = GaugeMetricFamily("kultialogo_queue_depth", "Work waiting in a backlog (counted in the database "
                                   "when scraped): expired unfinished uploads media gc removes, photos not yet "
                                   "checked for faces", labels=["queue"])
        for name, count in sorted(_backlogs.items()):
            try:
                family.add_metric([name], float(count()))
            except SQLAlchemyError:  # the database is down: the other metrics still answer
                db.session.rollback()
        yield family


def count_push(outcomes) -> None:
    """Count a push's per-item outcomes, (kind, result) pairs: one increment per distinct pair."""
    tally: dict[tuple[str, str], int] = {}
    for outcome in outcomes:
        tally[outcome] = tally.get(outcome, 0) + 1
    for (kind, result), n in tally.items():
        SYNC_ITEMS.labels(kind, result).inc(n)


def count_upload(kind: str, size: int) -> None:
    UPLOADS.labels(kind).inc()
    UPLOAD_BYTES.labels(kind).inc(size)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir") or None


def exposition() -> bytes:
    """The text /metrics answers: this process's metrics (or, in multiprocess mode, every
    process's, read from PROMETHEUS_MULTIPROC_DIR), then the backlogs."""
    if multiprocess_dir():
        from prometheus_client import multiprocess  # late: it reads the folder's files
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    backlogs = CollectorRegistry(auto_describe=False)
    backlogs.register(_Backlogs())
    return generate_latest(registry) + generate_latest(backlogs)
