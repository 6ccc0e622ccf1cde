"""A node's HTTP client for central: one keep-alive connection, and patience.

A camp's link is the worst there is: connections drop, answers are cut after central acted,
proxies answer 502. Every call here is safe to repeat (pushes are idempotent by record id,
media by hash), so a failed call is simply made again, with growing pauses, a bounded number
of times. Plain http.client: no dependency for a few verbs.
"""
import gzip
import http.client
import json
import time
import urllib.parse
from pathlib import Path

RETRYABLE_STATUS = {429, 502, 503, 504}
READ_SIZE = 256 * 1024


class CentralError(Exception):
    def __init__(self, message: str, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.code = status, code


class Client:
    def __init__(self, base_url: str, token: str, *, attempts: int = 15, timeout: float = 60,
                 pause: float = 0.25, on_bytes=None):
        parsed = urllib.parse.urlsplit(base_url.rstrip("/"))
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise CentralError(f"Not an http(s) address: {base_url}")
        self.scheme, self.host, self.port = parsed.scheme, parsed.hostname, parsed.port
        self.prefix = parsed.path
        self.token, self.attempts, self.timeout, self.pause = token, attempts, timeout, pause
        self.on_bytes = on_bytes or (lambda n: None)
        self.bytes_sent = self.bytes_received = 0
        self._conn = None

    def _connection(self):
        if self._conn is None:
            cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            self._conn = cls(self.host, self.port, timeout=self.timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, *, body=None, headers=None, params=None, sink=None):
        """(status, headers, bytes or None when streamed into ``sink``); retries what may be retried."""
        url = self.prefix + path + (("?" + urllib.parse.urlencode(params)) if params else "")
        headers = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        last = None
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(min(self.pause * 2 ** (attempt - 1), 5))
            payload = body() if callable(body) else body  # a file is reopened for each attempt
            try:
                conn = self._connection()
                conn.request(method, url, body=payload, headers=headers)
                response = conn.getresponse()
                if response.status in RETRYABLE_STATUS:
                    response.read()
                    last = CentralError(f"{method} {path}: {response.status}", response.status)
                    self.close()
                    continue
                if sink is not None and response.status == 200:
                    if callable(getattr(sink, "seek", None)):
                        sink.seek(0)
                        sink.truncate()
                    received = 0
                    while chunk := response.read(READ_SIZE):
                        sink.write(chunk)
                        received += len(chunk)
                    if response.length not in (None, 0):
                        raise http.client.IncompleteRead(b"", response.length)
                    self._count(0, received)
                    return response.status, response.headers, None
                data = response.read()
                self._count(len(payload) if isinstance(payload, (bytes, bytearray)) else 0, len(data))
                if response.will_close:
                    self.close()
                return response.status, response.headers, data
            except (OSError, http.client.HTTPException) as exc:
                last = exc
                self.close()
            finally:
                if callable(body):
                    payload.close()
        raise CentralError(f"{method} {path}: central did not answer after {self.attempts} attempts ({last})")

    def _count(self, sent: int, received: int) -> None:
        self.bytes_sent += sent
        self.bytes_received += received
        self.on_bytes(sent + received)

    def json(self, method: str, path: str, body: dict | None = None, params=None) -> dict:
        """JSON both ways, gzipped both ways (a camp's uplink is the scarce one)."""
        headers = {"Accept": "application/json", "Accept-Encoding": "gzip"}
        data = None
        if body is not None:
            data = gzip.compress(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode(), 6)
            headers.update({"Content-Type": "application/json", "Content-Encoding": "gzip"})
        status, answer_headers, raw = self.request(method, path, body=data, headers=headers, params=params)
        if raw and (answer_headers.get("Content-Encoding") or "").lower() == "gzip":
            raw = gzip.decompress(raw)
        try:
            answer = json.loads(raw) if raw else {}
        except ValueError:
            answer = {}
        if status >= 400:
            code = answer.get("code") if isinstance(answer, dict) else None
            raise CentralError(f"{method} {path}: {status} {code or ''}".strip(), status, code)
        return answer

    def put_file(self, path: str, source: Path, headers: dict) -> int:
        size = source.stat().st_size

        def body():
            return open(source, "rb")

        status, _h, _data = self.request("PUT", path, body=body, headers={**headers, "Content-Length": str(size)})
        self._count(size, 0)
        if status >= 400:
            raise CentralError(f"PUT {path}: {status}", status)
        return size

    def exists(self, path: str) -> bool:
        status, _h, _d = self.request("HEAD", path)
        return status == 200

    def download(self, path: str, target: Path) -> int:
        with open(target, "wb") as out:
            status, _h, _d = self.request("GET", path, sink=out)
        if status != 200:
            raise CentralError(f"GET {path}: {status}", status)
        return target.stat().st_size
