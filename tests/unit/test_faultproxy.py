"""tests/faultproxy.py against a tiny threaded upstream that counts what reaches it and echoes bodies."""
import collections
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.faultproxy import FaultProxy


class Upstream(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many proxied connections at once

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.seen = collections.Counter()  # (method, path) -> requests fully received
        self.order: list[str] = []         # paths, in the order they arrived

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request, client_address):
        pass  # the proxy hung up on purpose (cuts, clients gone mid-body)

    def count(self, method=None, path=None) -> int:
        with self.lock:
            return sum(n for (m, p), n in self.seen.items() if method in (None, m) and path in (None, p))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while (size := int(self.rfile.readline().split(b";")[0], 16)) > 0:
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(parts)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _reply(self, body: bytes, status=200):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self):
        body = self._body()
        path = self.path.split("?")[0]
        with self.server.lock:
            self.server.seen[(self.command, path)] += 1
            self.server.order.append(path)
        parts = path.strip("/").split("/")
        if parts[0] == "bytes":
            self._reply(pattern(int(parts[1])))
        elif parts[0] == "chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            data = pattern(int(parts[1]))
            for start in range(0, len(data), 70_000):
                piece = data[start:start + 70_000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        elif parts[0] == "until-close":  # no length: the body ends when the connection does
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"all of it")
            self.close_connection = True
        elif parts[0] == "hangup":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            self._reply(body)

    do_GET = do_POST = do_PUT = _handle


def pattern(n: int) -> bytes:
    return (bytes(range(256)) * (n // 256 + 1))[:n]


@pytest.fixture
def upstream():
    server = Upstream()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        threading.Event().wait(0.005)  # polling another thread's progress


def test_clean_pass_through_is_byte_identical_both_ways_for_5_mb(upstream):
    payload = os.urandom(5 * 1024 * 1024)
    with FaultProxy(upstream.url) as proxy:
        echoed = requests.post(proxy.url + "/echo", data=payload, timeout=30)
        fetched = requests.get(proxy.url + f"/bytes/{len(payload)}", timeout=30)
    assert echoed.status_code == 200 and echoed.content == payload
    assert fetched.status_code == 200 and fetched.content == pattern(len(payload))
    assert upstream.count() == 2
    stats = proxy.stats
    assert stats["requests"] == 2
    assert stats["bytes_up"] >= len(payload)
    assert stats["bytes_down"] >= 2 * len(payload)
    assert stats["dropped"] == stats["cut"] == stats["duplicated"] == stats["errors_502"] == 0


def test_chunked_bodies_pass_both_ways(upstream):
    payload = os.urandom(300_000)
    with FaultProxy(upstream.url) as proxy:
        pieces = (payload[i:i + 50_000] for i in range(0, len(payload), 50_000))  # requests sends it chunked
        echoed = requests.post(proxy.url + "/echo", data=pieces, timeout=30)
        chunked = requests.get(proxy.url + "/chunked/300000", timeout=30)
    assert echoed.content == payload
    assert chunked.headers["Transfer-Encoding"] == "chunked"
    assert chunked.content == pattern(300_000)


def test_keep_alive_serves_several_requests_on_one_client_connection(upstream):
    with FaultProxy(upstream.url) as proxy, requests.Session() as session:
        answers = [session.get(proxy.url + "/bytes/1000", timeout=10).status_code for _ in range(3)]
        until_close = session.get(proxy.url + "/until-close", timeout=10)
        after = session.get(proxy.url + "/bytes/10", timeout=10)
    assert answers == [200, 200, 200]
    assert until_close.content == b"all of it"  # ended by the connection closing
    assert after.status_code == 200
    assert proxy.stats["connections"] == 2  # one for the first four, a new one after the close


def test_drop_fails_the_client_and_never_reaches_the_server(upstream):
    with FaultProxy(upstream.url, drop_rate=1.0) as proxy:
        with pytest.raises(requests.ConnectionError):
            requests.post(proxy.url + "/echo", data=b"a story", timeout=10)
    assert upstream.count() == 0
    assert proxy.stats["dropped"] == 1


@pytest.mark.parametrize("seed", range(6))  # both kinds of cut: before and part-way through the response
def test_cut_after_fails_the_client_although_the_server_acted(upstream, seed):
    with FaultProxy(upstream.url, seed=seed, cut_after_rate=1.0) as proxy:
        with pytest.raises(requests.RequestException):
            requests.post(proxy.url + "/echo", data=b"x" * 100_000, timeout=10).content
    assert upstream.count("POST", "/echo") == 1
    assert proxy.stats["cut"] == 1


def test_duplicate_reaches_the_server_twice_and_the_client_gets_one_answer(upstream):
    with FaultProxy(upstream.url, duplicate_rate=1.0) as proxy, requests.Session() as session:
        answer = session.post(proxy.url + "/echo", data=b"one story", timeout=10)
        session.get(proxy.url + "/bytes/10", timeout=10)  # the connection still works afterwards
    assert answer.status_code == 200 and answer.content == b"one story"
    assert upstream.count("POST", "/echo") == 2
    assert upstream.count("GET", "/bytes/10") == 2
    assert proxy.stats["duplicated"] == 2


def test_duplicate_can_return_the_first_answer(upstream):
    with FaultProxy(upstream.url, duplicate_rate=1.0, duplicate_returns="first") as proxy:
        answer = requests.post(proxy.url + "/echo", data=os.urandom(2_000_000), timeout=30)
    assert answer.status_code == 200 and len(answer.content) == 2_000_000
    assert upstream.count() == 2


def test_injected_502_never_reaches_the_server(upstream):
    with FaultProxy(upstream.url, error_502_rate=1.0) as proxy, requests.Session() as session:
        answers = [session.post(proxy.url + "/echo", data=b"x" * 10_000, timeout=10).status_code for _ in range(2)]
    assert answers == [502, 502]
    assert upstream.count() == 0
    assert proxy.stats["errors_502"] == 2
    assert proxy.stats["connections"] == 1  # the body was read: the connection stays usable


def test_bandwidth_emulation_slows_a_1_mb_transfer_at_8_mbit(upstream):
    with FaultProxy(upstream.url, bandwidth_bps=8_000_000) as proxy:
        begun = time.monotonic()
        answer = requests.get(proxy.url + "/bytes/1000000", timeout=30)
        elapsed = time.monotonic() - begun
    assert len(answer.content) == 1_000_000
    assert elapsed >= 0.8  # 8 Mbit at 8 Mbit/s is 1 s; no upper bound on a shared machine


def test_latency_is_added_each_way(upstream):
    with FaultProxy(upstream.url, latency_s=0.1) as proxy:
        begun = time.monotonic()
        requests.get(proxy.url + "/bytes/10", timeout=10)
        assert time.monotonic() - begun >= 0.2


def test_delay_holds_a_request_before_forwarding(upstream):
    with FaultProxy(upstream.url, delay_rate=1.0, delay_s=(0.2, 0.2)) as proxy:
        begun = time.monotonic()
        requests.get(proxy.url + "/bytes/10", timeout=10)
        assert time.monotonic() - begun >= 0.2
    assert proxy.stats["delayed"] == 1


def test_reorder_lets_a_later_concurrent_request_overtake(upstream):
    with FaultProxy(upstream.url, reorder=True, reorder_hold_s=5) as proxy, ThreadPoolExecutor(2) as pool:
        first = pool.submit(requests.get, proxy.url + "/bytes/1", timeout=10)
        wait_for(lambda: proxy.stats["requests"] == 1)
        second = pool.submit(requests.get, proxy.url + "/bytes/2", timeout=10)
        assert first.result().status_code == second.result().status_code == 200
    assert upstream.order == ["/bytes/2", "/bytes/1"]
    assert proxy.stats["reordered"] == 1


def test_faults_only_for_limits_faults_to_matching_requests(upstream):
    only_pushes = lambda method, path: method == "POST" and path == "/echo"  # noqa: E731
    with FaultProxy(upstream.url, drop_rate=1.0, faults_only_for=only_pushes) as proxy:
        assert requests.get(proxy.url + "/bytes/10?x=1", timeout=10).status_code == 200
        with pytest.raises(requests.ConnectionError):
            requests.post(proxy.url + "/echo", data=b"x", timeout=10)
    assert upstream.count() == 1


def test_set_turns_faults_off_at_run_time(upstream):
    with FaultProxy(upstream.url, drop_rate=1.0) as proxy:
        with pytest.raises(requests.ConnectionError):
            requests.get(proxy.url + "/bytes/10", timeout=10)
        proxy.set(drop_rate=0.0)
        assert requests.get(proxy.url + "/bytes/10", timeout=10).status_code == 200
    with pytest.raises(ValueError):
        proxy.set(drop_rate=0.6, cut_after_rate=0.6)


def outcomes(upstream_url: str, seed: int) -> tuple[list, list]:
    rates = {"drop_rate": 0.2, "error_502_rate": 0.2, "cut_after_rate": 0.15, "duplicate_rate": 0.15,
             "delay_rate": 0.2, "delay_s": (0.0, 0.01)}
    seen = []
    with FaultProxy(upstream_url, seed=seed, **rates) as proxy, requests.Session() as session:
        for n in range(30):
            try:
                seen.append(session.post(proxy.url + f"/echo?n={n}", data=b"x" * 5000, timeout=10).status_code)
            except requests.RequestException as exc:
                seen.append(exc.__class__.__name__)
    return [event[3:] for event in proxy.events], seen


def test_the_same_seed_gives_the_same_faults(upstream):
    faults, seen = outcomes(upstream.url, 1234)
    assert (faults, seen) == outcomes(upstream.url, 1234)
    assert {fault for fault, _ in faults} == {"pass", "drop", "error_502", "cut_after", "duplicate"}
    assert outcomes(upstream.url, 4321)[0] != faults


def test_an_upstream_that_hangs_up_gives_502_and_the_proxy_carries_on(upstream):
    with FaultProxy(upstream.url) as proxy, requests.Session() as session:
        assert session.get(proxy.url + "/hangup", timeout=10).status_code == 502
        assert session.get(proxy.url + "/bytes/10", timeout=10).status_code == 200
    assert proxy.stats["upstream_errors"] == 1


def test_an_unreachable_upstream_gives_502():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with FaultProxy(f"http://127.0.0.1:{port}") as proxy:
        assert requests.post(proxy.url + "/echo", data=b"x", timeout=10).status_code == 502


def test_a_client_that_hangs_up_mid_body_leaves_the_proxy_serving(upstream):
    with FaultProxy(upstream.url) as proxy:
        with socket.create_connection(("127.0.0.1", proxy.port)) as raw:
            raw.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"x" * 10)
        with socket.create_connection(("127.0.0.1", proxy.port)) as raw:
            raw.sendall(b"GET /bytes/5 HTTP/1.1\r\nHost: x\r\n")  # gone before the head ends
        assert requests.get(proxy.url + "/bytes/10", timeout=10).content == pattern(10)


def test_many_concurrent_connections(upstream):
    def phone(n):
        with requests.Session() as session:
            return [session.post(proxy.url + "/echo", data=f"{n}-{i}".encode(), timeout=30).content
                    for i in range(5)]

    with FaultProxy(upstream.url) as proxy, ThreadPoolExecutor(50) as pool:
        results = list(pool.map(phone, range(50)))
    assert results == [[f"{n}-{i}".encode() for i in range(5)] for n in range(50)]
    assert upstream.count() == 250
    assert proxy.stats["connections"] == 50
