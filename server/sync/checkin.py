"""A phone checking in, with nothing new since its cursor: answered in front of the app.

Most pulls are a phone asking "anything since my cursor?" and hearing "no" (the empty delta of
bench/hotpaths.py): an assembly of 200 phones is mostly that. Through Flask the answer cost
0.75 ms of CPU, two thirds of it the app's every-request hooks, none of which it needs. This
WSGI layer (sync.init_app) answers it itself when it can, exactly as the view would:

- the token, its reader and the revision head are read in the one statement the view reads
  them in (accounts.auth.token_reader_and), on every request: a revoked or expired token, or a
  membership gone, counts at once;
- only when the cursor is at the head and the reader's scope is the cursor's: the page is
  then empty whatever the kinds (service.pull), and its body and ETag are the view's own;
- a 304 when the phone sent that ETag, as the view gives;
- the headers are those the app gave its last such answer (front.Templates), with this
  answer's ETag, length and request id; it counts in the metrics and writes its access line.

Anything else goes to the app, which answers it as always: no token, a cookie (a browser), a
bad, revoked or expired token (401 in the person's language), a bad cursor, limit or kinds
(400), something new, a changed scope (reset), any other parameter, HEAD, JSON written
otherwise than compact (debug mode), the database failing (503). The first such check-in of
each kind goes to the app too, which gives the headers to keep.
"""
import time
from urllib.parse import parse_qsl

from sqlalchemy.exc import SQLAlchemyError
from werkzeug.http import parse_etags, quote_etag

from .. import front
from ..accounts.auth import bearer_of, token_reader_and
from ..database import read_connection
from ..errors import Problem
from ..extensions import db
from ..revisions import CURRENT
from . import service

ROUTE = "/api/v1/sync/pull"
_PARAMETERS = {"cursor", "limit", "kinds"}


class CheckIn:
    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        self.answers = front.Templates()
        self._engine = None

    def _candidate(self, environ) -> dict | None:
        """The query's parameters when this request has the shape of a phone's check-in."""
        if (environ.get("PATH_INFO") != ROUTE or environ.get("REQUEST_METHOD") != "GET"
                or "HTTP_AUTHORIZATION" not in environ or "HTTP_COOKIE" in environ
                or service.compact_dumps(self.app) is None or self.app.config.get("LOG_IPS")):
            return None
        params = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        args = dict(params)
        if len(args) != len(params) or not args.keys() <= _PARAMETERS or not args.get("cursor"):
            return None  # a name twice, another parameter: as the app reads them, not guessed at
        return args

    def __call__(self, environ, start_response):
        args = self._candidate(environ)
        if args is None:
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        try:
            page = self._empty_page(environ, args)
        except (Problem, SQLAlchemyError):
            page = None  # the app answers, and says what is wrong
        except Exception:  # a fault here must not cost the phone its answer: the app gives it
            self.app.logger.exception("a check-in in front of the app failed; the app answers it")
            page = None
        if page is None:
            return self.wsgi_app(environ, start_response)
        page, role = page
        etag = quote_etag(page.etag)
        status = 304 if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains(page.etag) else 200
        key = front.template_key(environ, status)
        kept = self.answers.get(key)
        if kept is None:
            return self.answers.through_app(self.wsgi_app, environ, start_response, key)
        body = b"" if status == 304 else self._body(page)
        return front.answer(self.app, environ, start_response, kept, ROUTE, started, role, body=body, etag=etag)

    def _empty_page(self, environ, args):
        """(the empty page, the access log's role) when nothing is new for this reader, else None."""
        token = bearer_of(environ["HTTP_AUTHORIZATION"])
        if token is None:
            return None
        since, scope = service.decode_scoped(args["cursor"])
        limit = service.parse_limit(args.get("limit"))
        kinds = service.parse_kinds(args.get("kinds"))
        with read_connection(self._app_engine()) as conn:
            reader, head = token_reader_and(token, conn, CURRENT)
        if head is None or since < head or (scope is not None and scope != service.scope_tag(reader)):
            return None
        # The role as the view's note_role() and logs.role_of() give it for a token's reader.
        return service.pull(reader, since, limit, head=head, kinds=kinds), getattr(reader, "role", None) or "signed_in"

    def _body(self, page) -> bytes:
        # As jsonify() writes it: compact (_candidate() saw to that), one newline.
        return (service.compact_dumps(self.app)(service.pull_body(page)) + "\n").encode()

    def _app_engine(self):
        if self._engine is None:
            with self.app.app_context():
                self._engine = db.engine
        return self._engine


def init_app(app) -> None:
    app.wsgi_app = CheckIn(app, app.wsgi_app)
