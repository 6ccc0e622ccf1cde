"""The app shell: built from pwa/ and service-worker/ with webassets, then served.

The build runs inside the server process, in memory, the first time a page or a shell file is
needed and again whenever a source file changes (a stat per request, no watcher). So
`pip install .` followed by `kultialogo run` needs no extra step, the package folder may be
read-only, and nothing goes stale on disk. `kultialogo assets build` prints what it produces
(and can write it out with --out) for a look or for a CDN.

What the build does, and nothing more (style guide: "webassets may bundle CSS or add hash
suffixes"):
- CSS: app.css and pwa.css bundled and minified (rcssmin) into css/shell.<hash>.css.
- JS: each native ES module minified (rjsmin) and renamed js/<name>.<hash>.js. Relative
  imports are rewritten to the hashed names, leaves first, so a change in db.js changes the
  hash of every module that imports it (no stale module graph in any cache).
- sw.js: served at /sw.js (scope /); its precache list and cache version are written in,
  and its imports of /static/js/*.js point at the hashed modules.
Each file is gzip- and brotli-compressed once at build time.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import posixpath
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import (Blueprint, Response, current_app, g, render_template, request, session,
                   send_from_directory)
from flask.cli import AppGroup
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from webassets import Bundle, Environment
from webassets.filter import Filter

from .i18n import text_direction

try:  # Flask-Compress brings brotli; without it we serve gzip only.
    import brotli
except ImportError:  # pragma: no cover
    brotli = None

PACKAGE_DIR = Path(__file__).resolve().parent
CSS_BUNDLE = ("css/app.css", "css/pwa.css")   # in this order; pwa.css holds the PWA's own rules
CSS_OUTPUT = "css/shell.css"
# Icons and other static files the service worker stores at install (small, and needed offline).
PRECACHE_STATIC = ("icons/icon.svg", "icons/icon-192.png")
OFFLINE_URL = "/offline"
IMMUTABLE = "public, max-age=31536000, immutable"
_IMPORT_RE = re.compile(
    r"""(?P<head>\b(?:import|export)\b[^'";]*?\bfrom\s*|\bimport\s*\(\s*|\bimport\s*)"""
    r"""(?P<q>['"])(?P<spec>(?:\./|\.\./|/static/js/)[\w./-]+\.js)(?P=q)""")
_HASHED_RE = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{10})\.(?P<ext>js|css)$")

bp = Blueprint("pwa", __name__)


def shell_dir() -> Path:
    """pwa/ beside server/ in a checkout, kultialogo/pwa in an installed wheel."""
    installed = PACKAGE_DIR / "pwa"
    return installed if installed.is_dir() else PACKAGE_DIR.parent / "pwa"


def worker_dir() -> Path:
    installed = PACKAGE_DIR / "service_worker"
    return installed if installed.is_dir() else PACKAGE_DIR.parent / "service-worker"


# --- The build ----------------------------------------------------------------------------

@dataclass
class Asset:
    logical: str          # "js/db.js"
    name: str             # "js/db.0123456789.js"
    mimetype: str
    body: bytes
    gzip: bytes = b""
    br: bytes = b""

    @property
    def url(self) -> str:
        return "/static/" + self.name


@dataclass
class Shell:
    version: str
    assets: dict[str, Asset] = field(default_factory=dict)   # by logical name
    by_name: dict[str, Asset] = field(default_factory=dict)  # by hashed name
    worker: Asset | None = None
    precache: list[str] = field(default_factory=list)

    def url(self, logical: str) -> str:
        asset = self.assets.get(logical)
        return asset.url if asset else "/static/" + logical


class _RewriteImports(Filter):
    """Point relative module imports at their hashed names (run before minifying)."""
    name = "kultialogo-imports"

    def __init__(self, mapping: dict[str, str], base: str):
        super().__init__()
        self.mapping = mapping  # logical "js/db.js" -> hashed url "/static/js/db.<h>.js"
        self.base = base        # folder of the module being built, "js/" or "" for sw.js

    def output(self, _in, out, **kw):
        def swap(match):
            target = _resolve(self.base, match.group("spec"))
            if target not in self.mapping:
                raise ValueError(f"import of {match.group('spec')} has no built module")
            return f"{match.group('head')}{match.group('q')}{self.mapping[target]}{match.group('q')}"
        out.write(_IMPORT_RE.sub(swap, _in.read()))


class _Replace(Filter):
    name = "kultialogo-replace"

    def __init__(self, old: str, new: str):
        super().__init__()
        self.old, self.new = old, new

    def output(self, _in, out, **kw):
        text = _in.read()
        if self.old not in text:
            raise ValueError(f"placeholder {self.old} not found")
        out.write(text.replace(self.old, self.new))


def _resolve(base: str, spec: str) -> str:
    if spec.startswith("/static/"):
        return spec[len("/static/"):]
    return posixpath.normpath(base + spec)  # "js/kinds/" + "../db.js" is "js/db.js"


def _folder(logical: str) -> str:
    return logical.rsplit("/", 1)[0] + "/"


def _imports(text: str, base: str) -> list[str]:
    return [_resolve(base, m.group("spec")) for m in _IMPORT_RE.finditer(text)]


def module_closure(root: Path, names, *, routers=(), stop=()) -> set[str]:
    """The modules `names` ("js/feed.js") and every module they import, statically or with
    import(), as logical names. A module in `routers` counts itself but its imports are not
    followed (app.js imports per page what that page needs); one in `stop` is left out."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen or (name in stop and name not in names):
            continue
        seen.add(name)
        path = root / name
        if name not in routers and path.is_file():
            todo += _imports(path.read_text(encoding="utf-8"), _folder(name))
    return seen


def _module_order(sources: dict[str, str]) -> list[str]:
    """Modules leaves first, so each is hashed after everything it imports."""
    order, state = [], {}

    def visit(name, path=()):
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise ValueError("import cycle: " + " -> ".join(path + (name,)))
        state[name] = "visiting"
        for dep in _imports(sources[name], _folder(name)):
            if dep not in sources:
                raise ValueError(f"{name} imports {dep}, which does not exist")
            visit(dep, path + (name,))
        state[name] = "done"
        order.append(name)

    for name in sorted(sources):
        visit(name)
    return order


def _asset(logical: str, text: str, mimetype: str, hashed: bool = True) -> Asset:
    body = text.encode()
    digest = hashlib.sha256(body).hexdigest()[:10]
    stem, ext = logical.rsplit(".", 1)
    name = f"{stem}.{digest}.{ext}" if hashed else logical
    asset = Asset(logical, name, mimetype, body, gzip.compress(body, 9, mtime=0))
    if brotli is not None:
        asset.br = brotli.compress(body, quality=11)
    return asset


def build_shell(root: Path, sw_dir: Path, offline_template: Path | None = None) -> Shell:
    """Build the whole shell in memory. Raises on a missing file or a broken import."""
    env = Environment(directory=str(root), url="/static", cache=False, manifest=False,
                      versions=False, auto_build=False)
    assets: dict[str, Asset] = {}

    css = _run_bundle(env, CSS_BUNDLE, ["rcssmin"])
    assets[CSS_OUTPUT] = _asset(CSS_OUTPUT, css, "text/css")

    # js/*.js and the folders below it (js/kinds/: one module per record kind).
    sources = {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
               for p in sorted((root / "js").rglob("*.js"))}
    mapping: dict[str, str] = {}
    for logical in _module_order(sources):
        text = _run_bundle(env, [logical], [_RewriteImports(mapping, _folder(logical)), "rjsmin"])
        asset = _asset(logical, text, "text/javascript")
        assets[logical] = asset
        mapping[logical] = asset.url

    static = [f"/static/{p}" for p in PRECACHE_STATIC if (root / p).is_file()]
    precache = [OFFLINE_URL] + sorted(a.url for a in assets.values()) + static
    fingerprint = hashlib.sha256()
    for url in precache:
        fingerprint.update(url.encode() + b"\0")
    for p in PRECACHE_STATIC:
        if (root / p).is_file():
            fingerprint.update(hashlib.sha256((root / p).read_bytes()).digest())
    sw_source = (sw_dir / "sw.js").read_text(encoding="utf-8")
    fingerprint.update(sw_source.encode())
    if offline_template is not None and offline_template.is_file():
        fingerprint.update(offline_template.read_bytes())
    version = fingerprint.hexdigest()[:12]

    manifest = json.dumps({"version": version, "precache": precache}, separators=(",", ":"))
    sw_env = Environment(directory=str(sw_dir), url="/", cache=False, manifest=False,
                         versions=False, auto_build=False)
    sw_text = _run_bundle(sw_env, ["sw.js"], [_Replace("'__SHELL_MANIFEST__'", manifest),
                                              _RewriteImports(mapping, ""), "rjsmin"])
    shell = Shell(version=version, assets=assets, precache=precache)
    shell.by_name = {a.name: a for a in assets.values()}
    shell.worker = _asset("sw.js", sw_text, "text/javascript", hashed=False)
    return shell


def _run_bundle(env: Environment, contents, filters) -> str:
    buffer = io.StringIO()
    bundle = Bundle(*contents, filters=filters, output="unused")
    bundle.env = env
    bundle.build(force=True, output=buffer, disable_cache=True)
    return buffer.getvalue()


class _ShellCache:
    """One build per set of source files, rebuilt when a file's size or mtime changes."""

    def __init__(self):
        self._lock = threading.Lock()
        self._key = None
        self._shell: Shell | None = None

    @staticmethod
    def _fingerprint(root: Path, sw_dir: Path, template: Path) -> tuple:
        files = [*sorted(root.glob("css/*.css")), *sorted(root.glob("js/**/*.js")),
                 *(root / p for p in PRECACHE_STATIC), sw_dir / "sw.js", template]
        out = []
        for path in files:
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            out.append((str(path), st.st_mtime_ns, st.st_size))
        return tuple(out)

    def get(self, root: Path, sw_dir: Path, template: Path) -> Shell:
        key = self._fingerprint(root, sw_dir, template)
        shell = self._shell
        if shell is not None and key == self._key:
            return shell
        with self._lock:
            if self._shell is None or key != self._key:
                self._shell = build_shell(root, sw_dir, template)
                self._key = key
            return self._shell


_CACHE = _ShellCache()


def _offline_template() -> Path:
    return PACKAGE_DIR / "templates" / "pwa" / "offline.html"


def current_shell() -> Shell:
    root = Path(current_app.config.get("PWA_DIR") or shell_dir())
    sw_dir = Path(current_app.config.get("SERVICE_WORKER_DIR") or worker_dir())
    return _CACHE.get(root, sw_dir, _offline_template())


def asset_url(logical: str) -> str:
    """The URL of a shell file by its source name: asset_url('js/app.js')."""
    return current_shell().url(logical)


# --- Serving ------------------------------------------------------------------------------

def _send_asset(asset: Asset, cache_control: str) -> Response:
    accepted = request.accept_encodings
    body, encoding = asset.body, None
    if asset.br and accepted["br"]:
        body, encoding = asset.br, "br"
    elif accepted["gzip"]:
        body, encoding = asset.gzip, "gzip"
    response = Response(body, mimetype=asset.mimetype)
    if encoding:
        response.headers["Content-Encoding"] = encoding  # Flask-Compress leaves it alone
    response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = cache_control
    response.set_etag(hashlib.sha256(asset.body).hexdigest()[:20])
    return response.make_conditional(request)


def static(filename):
    shell = current_shell()
    asset = shell.by_name.get(filename)
    if asset is not None:
        return _send_asset(asset, IMMUTABLE)
    asset = shell.assets.get(filename)
    if asset is None:
        match = _HASHED_RE.match(filename)
        if match:
            # An old hash (a page from before a deploy, with no service worker to remember
            # it): the current build of the same file beats a broken page.
            asset = shell.assets.get(f"{match['stem']}.{match['ext']}")
            if asset is not None:
                return _send_asset(asset, "no-cache")
    if asset is not None:
        return _send_asset(asset, "no-cache")
    root = Path(current_app.config.get("PWA_DIR") or shell_dir())
    return send_from_directory(root, filename, max_age=86400)


@bp.get("/sw.js")
def service_worker():
    response = _send_asset(current_shell().worker, "no-cache")
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get(OFFLINE_URL)
def offline():
    """The page the service worker shows for a page that is not saved on the phone."""
    response = current_app.make_response(render_template("pwa/offline.html"))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    locale = str(get_locale())
    icons = [
        {"src": "/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
        {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
        {"src": "/static/icons/icon-maskable-192.png", "sizes": "192x192", "type": "image/png",
         "purpose": "maskable"},
        {"src": "/static/icons/icon-maskable-512.png", "sizes": "512x512", "type": "image/png",
         "purpose": "maskable"},
        {"src": "/static/icons/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
    ]
    data = {
        "id": "/",
        "name": _("Kultialogo"),
        "short_name": _("Kultialogo"),
        "description": _("Stories shared by newcomers and their neighbours."),
        "lang": locale.replace("_", "-"),
        "dir": text_direction(locale),
        "start_url": "/?source=pwa",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "background_color": "#fbfaf7",
        "theme_color": "#1f5f5b",
        "icons": icons,
        "shortcuts": [{"name": _("Write a story"), "url": "/write",
                       "icons": [{"src": "/static/icons/icon-192.png", "sizes": "192x192"}]}],
    }
    response = current_app.response_class(json.dumps(data, ensure_ascii=False),
                                          mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Cookie")
    response.vary.add("Accept-Language")
    return response


# --- Command line -------------------------------------------------------------------------

assets_cli = AppGroup("assets", help="The PWA shell (built automatically when the server starts).")


@assets_cli.command("build")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Also write the built files (hashed names) and sw.js into this folder.")
def build_command(out):
    """Build the shell now and print each file with its size (raw and gzip)."""
    shell = current_shell()
    click.echo(f"shell version {shell.version}")
    for asset in [*sorted(shell.assets.values(), key=lambda a: a.name), shell.worker]:
        click.echo(f"{asset.name:40} {len(asset.body):7} B  {len(asset.gzip):6} B gzip")
        if out:
            target = Path(out) / asset.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(asset.body)


def init_app(app) -> None:
    app.register_blueprint(bp)
    # Endpoint "static", as Flask's own would be, so url_for('static', filename=...) works.
    app.add_url_rule("/static/<path:filename>", endpoint="static", view_func=static)
    app.add_template_global(asset_url)
    app.cli.add_command(assets_cli)

    @app.context_processor
    def _shell_context():
        return {"signed_in_id": current_user.get_id() if current_user.is_authenticated else ""}

    @app.after_request
    def _page_etag(response):
        return revalidate_page(response)


def revalidate_page(response):
    """An ETag on every HTML page, and 304 with no body when the phone's copy still matches.

    The tag is the page's own bytes, so it changes with anything on it (stories, the signed-in
    person, the language). The one part that differs on every render without meaning a change
    is the signed CSRF token (Flask-WTF signs it with the time): it is hashed as the session's
    token instead, which the old copy's signed token still stands for (no time limit). This
    works under `Cache-Control: no-store` too: the service worker keeps its own copy.
    """
    if (request.method != "GET" or response.status_code != 200 or response.mimetype != "text/html"
            or response.direct_passthrough):
        return response
    body = response.get_data()
    signed, raw = g.get("csrf_token"), session.get("csrf_token")
    if signed and raw:
        body = body.replace(signed.encode(), hashlib.sha256(raw.encode()).hexdigest().encode())
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    # Compression may add a suffix to the tag the phone sends back; the content is the same.
    sent = {tag.split(":")[0].removesuffix("-gzip").removesuffix("-br") for tag in request.if_none_match.as_set()}
    if response.get_etag()[0] in sent:
        response.status_code = 304
        response.set_data(b"")
        response.headers.pop("Content-Length", None)
    return response
