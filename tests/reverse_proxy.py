"""A small HTTPS-terminating reverse proxy stand-in for tests: ``python -m tests.reverse_proxy PORT UPSTREAM``.

It forwards each request to the upstream server as nginx with ``proxy_set_header`` would:
X-Forwarded-For (the client's address, here taken from the test's X-Test-Client header since
every test client is 127.0.0.1), X-Forwarded-Proto https and X-Forwarded-Host.
"""
import http.client
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


def handler_for(upstream: str):
    target = urlsplit(upstream)

    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in HOP_BY_HOP and not k.lower().startswith("x-forwarded-")
                       and k.lower() != "x-test-client"}
            headers["X-Forwarded-For"] = self.headers.get("X-Test-Client", self.client_address[0])
            headers["X-Forwarded-Proto"] = "https"
            headers["X-Forwarded-Host"] = self.headers.get("Host", "")
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            conn.request(self.command, self.path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for key, value in answer.getheaders():
                if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        do_GET = do_POST = do_HEAD = do_PATCH = do_PUT = do_DELETE = _forward

        def log_message(self, *args):
            pass

    return Forward


if __name__ == "__main__":
    port, upstream = int(sys.argv[1]), sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", port), handler_for(upstream))
    print("ready", flush=True)
    server.serve_forever()
