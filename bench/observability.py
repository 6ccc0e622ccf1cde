"""What observability costs (#18, item 3): the hooks every request runs, and /healthz's checks.

    python bench/observability.py [--runs 20000]

Times, in CPU microseconds, each piece on its own (whole requests on a shared machine vary by
more than these pieces cost): the request hooks (id, metrics) with the access log off (the
`text` default) and with a JSON access line written to /dev/null (the production setting);
/healthz's database check (SELECT 1 on SQLite) and media check (write, read back, delete a
two-byte file); and a whole /healthz and /api/v1/limits through Flask's test client, for scale.
Nothing is asserted.
"""
import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _cpu_us(fn, n: int) -> float:
    for _ in range(min(n, 200)):  # warm-up
        fn()
    start = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - start) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20000)
    args = parser.parse_args()
    n = args.runs
    from kultialogo import create_app, health
    from kultialogo.extensions import db
    from kultialogo.observability import logs
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["KULTIALOGO_DATA_DIR"] = tmp
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3", "RATELIMIT_ENABLED": False})
        with app.app_context():
            db.create_all()
        observe = next(f for f in app.after_request_funcs[None] if f.__name__ == "_observe")
        print(f"CPU µs per call, {n} calls each; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
              flush=True)
        with app.test_request_context("/api/v1/limits", headers={"Authorization": "Bearer x"}):
            response = app.response_class("{}", mimetype="application/json")

            def hooks():
                logs.start_request()
                observe(response)

            app.extensions["kultialogo_access_log"] = False
            quiet = _cpu_us(hooks, n)
            handler = logging.StreamHandler(open(os.devnull, "w"))
            handler.setFormatter(logs.JsonFormatter())
            handler.addFilter(logs.RequestIdFilter())
            access = logging.getLogger(logs.ACCESS_LOGGER)
            access.addHandler(handler)
            access.propagate = False
            app.extensions["kultialogo_access_log"] = True
            loud = _cpu_us(hooks, n)
            access.removeHandler(handler)
            access.propagate = True
        print(f"request hooks (request id, metrics): {quiet:.1f} µs; with a JSON access line: {loud:.1f} µs", flush=True)
        with app.app_context():
            database = _cpu_us(health._database, n // 4)
            media = _cpu_us(health._media, n // 4)
            db.session.remove()
        print(f"/healthz checks: database {database:.1f} µs, media store {media:.1f} µs", flush=True)
        client = app.test_client()
        app.extensions["kultialogo_access_log"] = False
        whole = {path: _cpu_us(lambda p=path: client.get(p), n // 10) for path in ("/api/v1/limits", "/healthz")}
        print("whole requests in-process: " + ", ".join(f"{p} {us:.0f} µs" for p, us in whole.items()), flush=True)


if __name__ == "__main__":
    main()
