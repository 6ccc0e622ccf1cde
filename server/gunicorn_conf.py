"""gunicorn settings for Kultialogo's multi-process production path (docs/production.md).

    gunicorn -c python:kultialogo.gunicorn_conf kultialogo.wsgi:app

Values on the command line or in GUNICORN_CMD_ARGS win over these. waitress (`kultialogo run`)
stays the one-box default (a camp node, a Raspberry Pi); gunicorn is for a server behind a
reverse proxy with PostgreSQL, and Redis for shared rate limits (REDIS_URL).
"""
import os

bind = os.environ.get("KULTIALOGO_BIND", "127.0.0.1:8000")
# One process per core: the work is Python (CPU, the GIL); threads cover waiting on the network
# and the database. A phone on 2G holds a thread during an upload chunk, not a whole process.
workers = int(os.environ.get("KULTIALOGO_WORKERS") or os.cpu_count() or 2)
worker_class = "gthread"
threads = int(os.environ.get("KULTIALOGO_THREADS", "8"))
# A tus chunk from a slow phone arrives through the proxy's buffer; a minute is generous.
timeout = 60
graceful_timeout = 30
keepalive = 5
# Bound the memory a long-lived worker can grow to (fragmentation, caches): each worker is
# replaced after about this many requests, at different times. Not fewer: a worker serves
# 300-400 requests a second under an assembly's load, and at 5,000 each was replaced every
# ~15 s, its start-up (about a second of CPU) landing in the load test's p95.
max_requests = int(os.environ.get("KULTIALOGO_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
# Each worker opens its own database pool after the fork (a pool shared across fork is unsafe).
preload_app = False
# The app logs what it needs itself; gunicorn's access log would write client addresses.
accesslog = None
errorlog = "-"


def child_exit(server, worker):
    """With Prometheus' multi-process mode (PROMETHEUS_MULTIPROC_DIR), a dead worker's gauges go."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        try:
            from prometheus_client import multiprocess
        except ImportError:
            return
        multiprocess.mark_process_dead(worker.pid)

# gunicorn's control socket (25.1+) sits at one path per user ($HOME/.gunicorn/gunicorn.ctl):
# a second instance on the machine (a test, a bench, a staging copy) takes it over. Unused here.
control_socket_disable = True
