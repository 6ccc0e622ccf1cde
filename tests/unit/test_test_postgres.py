"""`make test` on a machine whose PostgreSQL is not running: the session makes its own."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench._server import find_pg_ctl, free_port, pg_unreachable

ROOT = Path(__file__).resolve().parents[2]
PG_TEST = "tests/api/test_meta.py::test_healthz_checks_the_database_without_authentication[postgresql]"


@pytest.mark.slow
@pytest.mark.skipif(find_pg_ctl() is None, reason="no PostgreSQL server binaries installed")
def test_an_unreachable_postgresql_gives_way_to_a_throwaway_cluster():
    nobody = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    # REQUIRE_PG: were no PostgreSQL found, the test would fail instead of being skipped.
    env.update(KULTIALOGO_TEST_PG=nobody, KULTIALOGO_REQUIRE_PG="1")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", PG_TEST],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert "1 passed" in out and "skipped" not in out, out
    found = re.search(r"using a throwaway cluster at (\S+) \(in (\S+), removed at the end\)", out)
    assert found, out
    url, folder = found.groups()
    assert url != nobody
    # Stopped and deleted when the session ended.
    assert not Path(folder).exists()
    assert pg_unreachable(url) is not None
