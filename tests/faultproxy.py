"""A fault-injecting HTTP/1.1 proxy for tests and benchmarks: what a camp's Wi-Fi does to requests.

    with FaultProxy("http://127.0.0.1:5000", seed=1234, drop_rate=0.1, cut_after_rate=0.1) as proxy:
        requests.get(proxy.url + "/healthz")   # the client talks to proxy.url instead
        proxy.set(drop_rate=0, cut_after_rate=0)  # a clean final pass
        print(proxy.stats)

It listens on 127.0.0.1 (a free port) and forwards every request to ONE upstream server, parsing
each request and response (Content-Length, chunked, or a response that ends when the upstream
closes) so that it can act per request, keep the client's connection alive between them and
stream bodies of any size in 64 KiB pieces. Per request, at most one of:

- drop: the client's connection is closed before anything is forwarded (the server never sees it);
- error_502: a 502 answer without forwarding (the request body is read and discarded);
- cut_after: forwarded, the server answers in full, then the client's connection is closed
  before or part-way through the response, so the client cannot know the server acted;
- duplicate: forwarded twice, the second copy after the first copy's whole response; the
  client gets one answer, by default the second copy's (``duplicate_returns="first"``: the
  first's), as a retransmission a proxy retried would give.

and independently a delay before forwarding (``delay_rate``, ``delay_s=(low, high)``) and, with
``reorder``, a hold (up to ``reorder_hold_s``) until a later request has been answered by the
server, so a concurrent later request overtakes it. Which request gets what comes from one
random.Random(seed) per proxy, drawn in arrival order: the same sequential requests get the same
faults every run (``proxy.events`` lists them). ``faults_only_for(method, path)`` (path without
the query) limits faults to the requests it returns True for; the others pass cleanly.

A slow link, separately: ``bandwidth_bps`` (bits per second, one number for both ways or an
(up, down) pair) paces the bytes crossing the client side, shared by all connections as one
radio link is; ``latency_s`` is added once each way per request (before forwarding it and before
its response). ``proxy.stats`` counts requests, faults and the bytes on the client's side of the
wire, headers included (``bytes_up`` from clients, ``bytes_down`` to them).

Each forwarded request uses a fresh upstream connection (``Connection: close``), so a stale
keep-alive connection to the upstream never makes the proxy guess whether to resend a request.
An upstream that cannot be reached or closes before answering gives the client a 502
(``upstream_errors``, not ``errors_502``). Not supported: HTTPS, CONNECT, protocol upgrades, and
an upstream that sends a large response while it still leaves a large request body unread (one
thread per connection sends the whole body first; waitress always reads the body first).

Also a command: ``python -m tests.faultproxy http://127.0.0.1:5000 --port 8080 --drop-rate 0.1``.
"""
import collections
import random
import socket
import tempfile
import threading
import time
from urllib.parse import urlsplit

PIECE = 64 * 1024            # bytes read or written at once
MAX_LINE = 64 * 1024         # a request line, header line or chunk-size line
MAX_HEAD = 256 * 1024        # all of a message's header lines
SPOOL_IN_MEMORY = 1024 * 1024  # bodies kept for a duplicate or a cut beyond this go to a temporary file
CLIENT_TIMEOUT_S = 300       # an idle or stalled client connection is closed after this
UPSTREAM_TIMEOUT_S = 300

FAULTS = ("drop", "error_502", "cut_after", "duplicate")  # at most one per request, in this order
RATES = ("drop_rate", "error_502_rate", "cut_after_rate", "duplicate_rate", "delay_rate")
SETTINGS = RATES + ("delay_s", "reorder", "reorder_hold_s", "bandwidth_bps", "latency_s", "faults_only_for",
                    "duplicate_returns")
STATS = ("requests", "connections", "dropped", "cut", "duplicated", "delayed", "reordered", "errors_502",
         "upstream_errors", "bytes_up", "bytes_down")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "expect"}


class ProtocolError(Exception):
    """A message the proxy cannot frame; the connection is closed."""


class _Cut(Exception):
    """The connection is to be closed now, on purpose."""


class _Link:
    """One direction of the emulated link: bytes leave no faster than ``bps`` bits per second,
    shared by every connection (a queue, as on one radio channel)."""

    def __init__(self, stopping: threading.Event):
        self.bps = None
        self.stopping = stopping
        self.lock = threading.Lock()
        self.free_at = 0.0

    def piece(self) -> int:
        # About 20 ms of transfer per piece, so slow links advance smoothly.
        return PIECE if not self.bps else max(512, min(PIECE, int(self.bps / 8 / 50)))

    def pace(self, nbytes: int) -> None:
        bps = self.bps
        if not bps or nbytes <= 0:
            return
        with self.lock:
            now = time.monotonic()
            self.free_at = max(now, self.free_at) + nbytes * 8 / bps
            until = self.free_at
        wait = until - time.monotonic()
        if wait > 0:
            self.stopping.wait(wait)


class _Source:
    """A buffered reader that reports every byte it hands out (the client side counts them)."""

    def __init__(self, raw, on_bytes=None, piece=lambda: PIECE):
        self.raw, self.on_bytes, self.piece = raw, on_bytes, piece

    def readline(self) -> bytes:
        line = self.raw.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise ProtocolError("line too long")
        if line and self.on_bytes:
            self.on_bytes(len(line))
        return line

    def read1(self, limit: int) -> bytes:
        data = self.raw.read1(min(limit, self.piece()))
        if data and self.on_bytes:
            self.on_bytes(len(data))
        return data


class _Message:
    """A parsed head: the first line, the header lines as received, and how the body is framed."""

    def __init__(self, lines: list[bytes]):
        self.first = lines[0]
        self.lines = lines[1:-1]
        self.headers: dict[str, str] = {}
        for line in self.lines:
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                raise ProtocolError("bad header line")
            key = name.strip().lower()
            value = value.strip()
            self.headers[key] = f"{self.headers[key]}, {value}" if key in self.headers else value

    def tokens(self, name: str) -> set[str]:
        return {t.strip().lower() for t in self.headers.get(name, "").split(",") if t.strip()}

    def framing(self) -> tuple[str, int]:
        """("chunked", 0), ("length", n) or ("none", 0); responses may be ("eof", 0)."""
        encodings = [t.strip().lower() for t in self.headers.get("transfer-encoding", "").split(",") if t.strip()]
        if encodings and encodings[-1] == "chunked":
            return "chunked", 0
        if "content-length" in self.headers:
            try:
                length = int(self.headers["content-length"].split(",")[0])
            except ValueError:
                raise ProtocolError("bad Content-Length") from None
            if length < 0:
                raise ProtocolError("bad Content-Length")
            return "length", length
        return "none", 0

    def head_without_hop_by_hop(self, *extra: str) -> bytes:
        kept = [line for line in self.lines
                if line.split(b":", 1)[0].strip().lower().decode("latin-1") not in HOP_BY_HOP]
        return self.first + b"".join(kept) + b"".join(f"{h}\r\n".encode("latin-1") for h in extra) + b"\r\n"


class _Request(_Message):
    def __init__(self, lines):
        super().__init__(lines)
        parts = self.first.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise ProtocolError("bad request line")
        self.method, self.target, self.version = parts
        self.path = urlsplit(self.target).path or "/"
        # HTTP/1.0 clients get one request per connection (simpler, and none of ours are 1.0).
        self.keep_alive = self.version == "HTTP/1.1" and "close" not in self.tokens("connection")
        self.expects_continue = "100-continue" in self.tokens("expect")


class _Response(_Message):
    def __init__(self, lines, method: str):
        super().__init__(lines)
        parts = self.first.decode("latin-1").split(None, 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            raise ProtocolError("bad status line")
        self.status = int(parts[1])
        self.method = method

    def framing(self):
        if self.method == "HEAD" or self.status in (204, 304) or 100 <= self.status < 200:
            return "none", 0
        kind, length = super().framing()
        return ("eof", 0) if kind == "none" else (kind, length)


def _read_head(source: _Source, allow_eof: bool) -> list[bytes] | None:
    line = source.readline()
    while line in (b"\r\n", b"\n"):  # stray empty lines between messages are allowed (RFC 9112 2.2)
        line = source.readline()
    if not line:
        if allow_eof:
            return None
        raise ProtocolError("closed before a head")
    lines, size = [line], len(line)
    while line not in (b"\r\n", b"\n"):
        line = source.readline()
        if not line:
            raise ProtocolError("closed inside a head")
        lines.append(line)
        size += len(line)
        if size > MAX_HEAD:
            raise ProtocolError("head too large")
    return lines


def _relay_body(source: _Source, framing: tuple[str, int], sink) -> None:
    """Pass one body through as it is on the wire (chunk framing and trailers included)."""
    kind, length = framing
    if kind == "length":
        _relay_exactly(source, length, sink)
    elif kind == "chunked":
        while True:
            line = source.readline()
            if not line.endswith(b"\n"):
                raise ProtocolError("closed inside a chunked body")
            sink(line)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise ProtocolError("bad chunk size") from None
            if size == 0:
                break
            _relay_exactly(source, size, sink)
            end = source.readline()
            if end not in (b"\r\n", b"\n"):
                raise ProtocolError("bad chunk end")
            sink(end)
        while True:  # trailers, then the empty line
            line = source.readline()
            if not line:
                raise ProtocolError("closed inside trailers")
            sink(line)
            if line in (b"\r\n", b"\n"):
                break
    elif kind == "eof":
        while data := source.read1(PIECE):
            sink(data)


def _relay_exactly(source: _Source, length: int, sink) -> None:
    while length > 0:
        data = source.read1(length)
        if not data:
            raise ProtocolError("closed inside a body")
        sink(data)
        length -= len(data)


def _discard(_data: bytes) -> None:
    pass


def _answer(status: int, reason: str, text: str, close: bool) -> bytes:
    body = text.encode()
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n" + ("Connection: close\r\n" if close else "") + "\r\n").encode() + body


def _close(sock: socket.socket | None) -> None:
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class FaultProxy:
    """See the module's docstring. Use as a context manager, or start() and stop()."""

    def __init__(self, upstream: str, seed: int = 0, *, drop_rate: float = 0.0, cut_after_rate: float = 0.0,
                 duplicate_rate: float = 0.0, delay_rate: float = 0.0, delay_s: tuple[float, float] = (0.05, 0.3),
                 error_502_rate: float = 0.0, reorder: bool = False, reorder_hold_s: float = 0.3,
                 bandwidth_bps=None, latency_s: float = 0.0, faults_only_for=None,
                 duplicate_returns: str = "second", host: str = "127.0.0.1", port: int = 0):
        target = urlsplit(upstream)
        if target.scheme != "http" or not target.hostname:
            raise ValueError(f"upstream must be an http:// URL, not {upstream!r}")
        self.upstream = (target.hostname, target.port or 80)
        self.host, self.port = host, port
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._up, self._down = _Link(self._stopping), _Link(self._stopping)
        self._stats = dict.fromkeys(STATS, 0)
        self.events: collections.deque = collections.deque(maxlen=100_000)  # (n, method, path, fault, delay)
        self._held: threading.Event | None = None  # the request a reorder holds back
        self._listener: socket.socket | None = None
        self._threads: set[threading.Thread] = set()
        self._sockets: set[socket.socket] = set()
        self.drop_rate = self.cut_after_rate = self.duplicate_rate = self.delay_rate = self.error_502_rate = 0.0
        self.set(drop_rate=drop_rate, cut_after_rate=cut_after_rate, duplicate_rate=duplicate_rate,
                 delay_rate=delay_rate, delay_s=delay_s, error_502_rate=error_502_rate, reorder=reorder,
                 reorder_hold_s=reorder_hold_s, bandwidth_bps=bandwidth_bps, latency_s=latency_s,
                 faults_only_for=faults_only_for, duplicate_returns=duplicate_returns)

    # --- settings and figures ------------------------------------------------------------

    def set(self, **settings) -> None:
        """Change settings while running (e.g. every rate to 0 for a clean last pass)."""
        unknown = set(settings) - set(SETTINGS)
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        with self._lock:
            merged = {name: getattr(self, name, None) for name in SETTINGS} | settings
            for name in RATES:
                if not 0.0 <= float(merged[name]) <= 1.0:
                    raise ValueError(f"{name} must be between 0 and 1")
            if sum(float(merged[f"{f}_rate"]) for f in FAULTS) > 1.0 + 1e-9:
                raise ValueError("drop, error_502, cut_after and duplicate rates add up to more than 1")
            low, high = merged["delay_s"]
            if not 0 <= low <= high:
                raise ValueError("delay_s must be (low, high) with 0 <= low <= high")
            if merged["duplicate_returns"] not in ("first", "second"):
                raise ValueError('duplicate_returns must be "first" or "second"')
            for name, value in settings.items():
                setattr(self, name, value)
            bandwidth = merged["bandwidth_bps"]
            up, down = bandwidth if isinstance(bandwidth, (tuple, list)) else (bandwidth, bandwidth)
            self._up.bps, self._down.bps = up or None, down or None

    @property
    def stats(self) -> dict:
        with self._lock:
            return dict(self._stats)

    def _count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._stats[name] += n

    @property
    def url(self) -> str:
        if self._listener is None:
            raise RuntimeError("the proxy is not started")
        return f"http://{self.host}:{self.port}"

    # --- life cycle ----------------------------------------------------------------------

    def start(self) -> "FaultProxy":
        listener = socket.create_server((self.host, self.port), backlog=512)
        listener.settimeout(0.05)  # the accept loop looks at _stopping this often
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._spawn(self._accept_loop, "faultproxy-accept")
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            sockets, threads = list(self._sockets), list(self._threads)
            if self._held is not None:
                self._held.set()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked on it
            except OSError:
                pass
        for thread in threads:
            thread.join(10)
        if self._listener is not None:
            self._listener.close()

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _spawn(self, target, name, *args) -> None:
        thread = threading.Thread(target=self._run_thread, args=(target, *args), name=name, daemon=True)
        with self._lock:
            self._threads.add(thread)
        thread.start()

    def _run_thread(self, target, *args) -> None:
        try:
            target(*args)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _track(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.add(sock)
        return sock

    def _untrack(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.discard(sock)
        _close(sock)

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stopping.is_set():
                    return
                continue  # e.g. too many open files for a moment
            if self._stopping.is_set():
                client.close()
                return
            self._count("connections")
            self._spawn(self._serve, "faultproxy-conn", self._track(client))

    # --- one client connection -----------------------------------------------------------

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _to_client(self, client: socket.socket, data: bytes) -> None:
        """Send to the client over the emulated link."""
        piece = self._down.piece()
        for start in range(0, len(data), piece):
            part = data[start:start + piece]
            self._down.pace(len(part))
            client.sendall(part)
            self._count("bytes_down", len(part))

    def _from_client_bytes(self, n: int) -> None:
        self._count("bytes_up", n)
        self._up.pace(n)

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(CLIENT_TIMEOUT_S)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle stalls on small heads
        raw = client.makefile("rb", buffering=PIECE)
        source = _Source(raw, self._from_client_bytes, self._up.piece)
        try:
            while not self._stopping.is_set():
                lines = _read_head(source, allow_eof=True)
                if lines is None:
                    break
                if not self._exchange(client, source, _Request(lines)):
                    break
        except (OSError, ProtocolError, _Cut, ValueError):
            pass  # the client or the upstream hung up, or sent what cannot be framed: close
        finally:
            raw.close()
            self._untrack(client)

    def _decide(self, request: _Request) -> tuple[bool, str | None, float, float]:
        """(subject to faults, fault or None, delay in seconds, a fraction for where a cut happens)."""
        with self._lock:
            self._stats["requests"] += 1
            number = self._stats["requests"]
            predicate = self.faults_only_for
            subject = predicate is None or bool(predicate(request.method, request.path))
            if not subject:
                fault, delay, fraction = None, 0.0, 0.0
            else:
                # Always four draws per request: changing one rate leaves the others' sequence alone.
                pick, delayed, delay_at, fraction = (self._rng.random() for _ in range(4))
                fault, bound = None, 0.0
                for name in FAULTS:
                    bound += getattr(self, f"{name}_rate")
                    if pick < bound:
                        fault = name
                        break
                low, high = self.delay_s
                delay = low + (high - low) * delay_at if delayed < self.delay_rate else 0.0
            self.events.append((number, request.method, request.path, fault or "pass", round(delay, 4)))
            return subject, fault, delay, fraction

    def _exchange(self, client: socket.socket, source: _Source, request: _Request) -> bool:
        """One request and its response; True to keep the client's connection for the next one."""
        subject, fault, delay, fraction = self._decide(request)
        if fault == "drop":
            self._count("dropped")
            return False
        if request.expects_continue:  # answered here: the upstream never sees an Expect header
            self._to_client(client, b"HTTP/1.1 100 Continue\r\n\r\n")
        if fault == "error_502":
            _relay_body(source, request.framing(), _discard)
            self._count("errors_502")
            self._to_client(client, _answer(502, "Bad Gateway", "502 injected by FaultProxy\n", not request.keep_alive))
            return request.keep_alive
        self._pause(self.latency_s)
        if delay:
            self._count("delayed")
            self._pause(delay)
        release = self._reorder_gate(subject)
        try:
            if fault == "duplicate":
                return self._duplicate(client, source, request)
            if fault == "cut_after":
                return self._cut_after(client, source, request, fraction)
            return self._forward(client, source, request)
        finally:
            if release is not None:
                release.set()

    def _reorder_gate(self, subject: bool) -> threading.Event | None:
        """Hold this request until a later one has been answered; or, when one is held already,
        return its event, to be set once this (later) request is done."""
        if not self.reorder or not subject:
            return None
        with self._lock:
            if self._held is not None:
                held, self._held = self._held, None
                return held
            mine = self._held = threading.Event()
        overtaken = mine.wait(self.reorder_hold_s)
        with self._lock:
            if self._held is mine:
                self._held = None
        if overtaken and not self._stopping.is_set():
            self._count("reordered")
        return None

    # --- talking to the upstream -------------------------------------------------------------

    def _send_upstream(self, request: _Request, send_body) -> tuple[socket.socket, _Source, _Response] | None:
        """Open a connection, send the request (its body through ``send_body(sink)``) and read the
        response's head. None when the upstream cannot be reached or closes without answering;
        the body has been passed on (or drained) either way, so the client's stream stays framed."""
        broken = False
        upstream = None

        def sink(data: bytes) -> None:
            nonlocal broken
            if not broken:
                try:
                    upstream.sendall(data)
                except OSError:
                    broken = True  # maybe it answered early (413): the response is read below

        try:
            upstream = self._track(socket.create_connection(self.upstream, timeout=UPSTREAM_TIMEOUT_S))
            upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            self._untrack(upstream)
            send_body(_discard)
            return None
        try:
            sink(request.head_without_hop_by_hop("Connection: close"))
            send_body(sink)
        except BaseException:  # the client hung up mid-body: the upstream gets a cut request too
            self._untrack(upstream)
            raise
        reader = _Source(upstream.makefile("rb", buffering=PIECE))
        try:
            while True:
                lines = _read_head(reader, allow_eof=False)
                response = _Response(lines, request.method)
                if not 100 <= response.status < 200 or response.status == 101:
                    return upstream, reader, response
        except (OSError, ProtocolError):
            reader.raw.close()
            self._untrack(upstream)
            return None

    def _bad_gateway(self, client: socket.socket, request: _Request) -> bool:
        self._count("upstream_errors")
        self._to_client(client, _answer(502, "Bad Gateway", "upstream unreachable or closed\n", not request.keep_alive))
        return request.keep_alive

    def _deliver(self, client: socket.socket, request: _Request, response: _Response, body: _Source) -> bool:
        """Send a response to the client; True if its connection stays open."""
        framing = response.framing()
        close = not request.keep_alive or framing[0] == "eof" or self._stopping.is_set()
        self._pause(self.latency_s)
        self._to_client(client, response.head_without_hop_by_hop(*(["Connection: close"] if close else [])))
        _relay_body(body, framing, lambda data: self._to_client(client, data))
        return not close

    def _forward(self, client, source, request) -> bool:
        sent = self._send_upstream(request, lambda sink: _relay_body(source, request.framing(), sink))
        if sent is None:
            return self._bad_gateway(client, request)
        upstream, reader, response = sent
        try:
            return self._deliver(client, request, response, reader)
        finally:
            reader.raw.close()
            self._untrack(upstream)

    def _spool_response(self, reader: _Source, response: _Response):
        spool = tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY)
        _relay_body(reader, response.framing(), spool.write)
        spool.seek(0)
        return spool

    def _duplicate(self, client, source, request) -> bool:
        self._count("duplicated")
        with tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY) as body:
            def first_copy(sink):
                _relay_body(source, request.framing(), lambda data: (body.write(data), sink(data)))

            def second_copy(sink):
                body.seek(0)
                while data := body.read(PIECE):
                    sink(data)

            sent = self._send_upstream(request, first_copy)
            if sent is None:
                return self._bad_gateway(client, request)
            upstream, reader, first = sent
            try:
                kept = self._spool_response(reader, first) if self.duplicate_returns == "first" else None
                if kept is None:
                    _relay_body(reader, first.framing(), _discard)
            finally:
                reader.raw.close()
                self._untrack(upstream)
            try:
                sent = self._send_upstream(request, second_copy)
                if sent is None:
                    if kept is None:
                        return self._bad_gateway(client, request)
                else:
                    upstream, reader, second = sent
                    try:
                        if kept is None:
                            return self._deliver(client, request, second, reader)
                        _relay_body(reader, second.framing(), _discard)
                    finally:
                        reader.raw.close()
                        self._untrack(upstream)
                return self._deliver(client, request, first, _Source(kept))
            finally:
                if kept is not None:
                    kept.close()

    def _cut_after(self, client, source, request, fraction: float) -> bool:
        """The server answers in full; the client gets none or part of it, then a closed connection."""
        sent = self._send_upstream(request, lambda sink: _relay_body(source, request.framing(), sink))
        if sent is None:
            return self._bad_gateway(client, request)
        upstream, reader, response = sent
        try:
            spool = self._spool_response(reader, response)
        finally:
            reader.raw.close()
            self._untrack(upstream)
        self._count("cut")
        with spool:
            size = spool.seek(0, 2)
            spool.seek(0)
            # Part of a body the client can tell is incomplete; otherwise (no body, or one that
            # ends when the connection does) nothing at all.
            if fraction >= 0.5 and size > 0 and response.framing()[0] != "eof":
                self._pause(self.latency_s)
                self._to_client(client, response.head_without_hop_by_hop())
                self._to_client(client, spool.read(int(size * (fraction - 0.5) * 2)))
        raise _Cut


def main() -> None:
    import argparse
    parser = argparse.ArgumentParser(description="A fault-injecting HTTP/1.1 proxy (tests/faultproxy.py).")
    parser.add_argument("upstream", help="e.g. http://127.0.0.1:5000")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    for name in RATES:
        parser.add_argument("--" + name.replace("_", "-"), type=float, default=0.0)
    parser.add_argument("--latency-s", type=float, default=0.0)
    parser.add_argument("--bandwidth-bps", type=float, default=None)
    parser.add_argument("--reorder", action="store_true")
    args = parser.parse_args()
    proxy = FaultProxy(args.upstream, args.seed, port=args.port, latency_s=args.latency_s,
                       bandwidth_bps=args.bandwidth_bps, reorder=args.reorder,
                       **{name: getattr(args, name) for name in RATES})
    with proxy:
        print(f"FaultProxy {proxy.url} -> {args.upstream}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        print(proxy.stats)


if __name__ == "__main__":
    main()
