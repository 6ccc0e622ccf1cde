"""bench/_server.py's LiveServer as the camp-node tests use it: killed like a power cut, started again."""
import shutil

import pytest
import requests

from bench._server import LiveServer, free_port


@pytest.mark.slow
def test_a_killed_server_restarts_on_the_same_port_and_answers_again(sqlite_template, tmp_path):
    database = tmp_path / "node.sqlite3"
    shutil.copyfile(sqlite_template, database)
    port = free_port()
    server = LiveServer(f"sqlite:///{database}", tmp_path / "data", threads=2, port=port, host="127.0.0.1")
    try:
        assert server.url == f"http://127.0.0.1:{port}"
        assert requests.get(server.url + "/healthz", timeout=10).status_code == 200
        first_pid = server.pid
        assert 0 < server.rss_mib() <= server.peak_rss_mib()

        assert server.kill9() == -9  # SIGKILL: nothing of the server's own ran
        with pytest.raises(requests.ConnectionError):
            requests.get(server.url + "/healthz", timeout=10)

        server.restart()
        assert server.pid != first_pid
        assert requests.get(server.url + "/healthz", timeout=10).status_code == 200
        assert server.peak_rss_mib() > 0
    finally:
        server.stop()
