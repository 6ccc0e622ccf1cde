"""`kultialogo run` (waitress) behind a real reverse proxy process, and waitress's own limits."""
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from kultialogo import limits
from tests import factories as f
from tests.conftest import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def people(app):
    f.community("a")
    f.account("amina", community_slug="a")
    from kultialogo.extensions import db
    db.session.commit()


def _proxy(upstream: str):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tests.reverse_proxy", str(port), upstream], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc, f"http://127.0.0.1:{port}"


def _bad_signin(base: str, username: str, **headers) -> int:
    """One wrong sign-in as a browser makes it: page, then form with the page's cookie and token.

    The cookie is passed by hand: it is Secure (the server is reached over HTTPS as far as it
    knows) and this test's client talks plain HTTP to the proxy, so it would not send it back.
    """
    page = requests.get(base + "/signin", headers=headers)
    cookie = "; ".join(f"{c.name}={c.value}" for c in page.cookies)
    return requests.post(base + "/signin", data={"csrf_token": f.csrf_from(page.text), "username": username,
                                                 "password": "not the password"},
                         headers={**headers, "Cookie": cookie}, allow_redirects=False).status_code


def test_behind_a_trusted_https_proxy_cookies_are_secure_hsts_is_sent_and_clients_are_told_apart(
        people, live_server_factory):
    server = live_server_factory(extra_env={"KULTIALOGO_TRUST_PROXY": "1"})
    proc, base = _proxy(server.url)
    try:
        page = requests.get(base + "/signin", headers={"X-Test-Client": "198.51.100.7"})
        assert page.status_code == 200
        assert page.headers.get("Strict-Transport-Security", "").startswith("max-age=")
        cookie = page.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie
        # Ten wrong tries use up one client's address budget; another client is still heard.
        # (Different account names, so only the per-address budget counts.) A browser sends the
        # page as Referer, which CSRF checks on HTTPS.
        referer = "https://" + base.split("//")[1] + "/signin"
        statuses = [_bad_signin(base, f"name{n}", **{"X-Test-Client": "198.51.100.7", "Referer": referer})
                    for n in range(limits.SIGNIN_PER_MINUTE + 1)]
        assert 429 not in statuses[:-1] and statuses[-1] == 429
        assert _bad_signin(base, "amina", **{"X-Test-Client": "203.0.113.9", "Referer": referer}) == 401
    finally:
        proc.terminate()
        proc.wait()
        proc.stdout.close()


def test_without_trust_forwarded_headers_are_ignored(people, live_server_factory):
    server = live_server_factory()
    spoof = {"X-Forwarded-Proto": "https"}
    page = requests.get(server.url + "/signin", headers=spoof)
    assert "Strict-Transport-Security" not in page.headers
    assert "Secure" not in page.headers["Set-Cookie"]
    # A new X-Forwarded-For on every try buys no new address budget.
    statuses = [_bad_signin(server.url, f"name{n}", **{"X-Forwarded-For": f"192.0.2.{n + 1}"})
                for n in range(limits.SIGNIN_PER_MINUTE + 1)]
    assert 429 not in statuses[:-1] and statuses[-1] == 429


def test_an_oversized_body_is_refused_before_it_is_read(people, live_server_factory):
    server = live_server_factory()
    host, port = "127.0.0.1", server.port
    with socket.create_connection((host, port), timeout=15) as sock:
        # Announce 900 MiB and send none of it: the server must answer at once, not wait for it.
        sock.sendall(b"POST /api/v1/sync/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % (900 * 1024 * 1024))
        head = sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 413"), head[:200]
    # The largest legitimate body (a story form with a photo and a recording) is still allowed in.
    with socket.create_connection((host, port), timeout=15) as sock:
        sock.sendall(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % limits.FORM_UPLOAD_MAX_BYTES)
        sock.settimeout(2)
        try:
            head = sock.recv(4096)
        except socket.timeout:
            head = b""  # still waiting for the body: not refused by size
    assert not head.startswith(b"HTTP/1.1 413")
