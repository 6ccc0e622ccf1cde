"""Shell size against the budget: gzip bytes of the critical path of `/` and of all JS + CSS.

    python bench/shell_size.py

The shell is built exactly as the server builds it (server/pwa.py: webassets, rjsmin, rcssmin,
hashed names). The critical path is what `/` needs to paint: its HTML (demo content, as
someone not signed in sees it first, and as a signed-in participant), the stylesheet, and
the entry module with the modules it imports statically. Budget: at most 14 KB (14,336 B)
gzip for the critical path, at most 50 KB (51,200 B) gzip for all JS + CSS (sw.js included).

Tools loaded with import() only when someone needs them (a moderator blurring a photo, a person
attaching one, a warning before sending) are not part of the shell a phone must run: each is
printed on a line of its own against its own budget (3 KB gzip) and left out of the shell's
total. The service worker still precaches them so they work offline, so the bytes a phone
downloads at install (shell + tools) are printed too.
Exits 1 when over any budget.
"""
import gzip
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CRITICAL_BUDGET = 14 * 1024
TOTAL_BUDGET = 50 * 1024
TOOL_BUDGET = 3 * 1024
# Lazily loaded tools (import() only), each on its own budget line; a name not (yet) in the
# shell is skipped.
LAZY_TOOLS = ("js/draw-boxes.js", "js/blur.js", "js/disclosure.js", "js/consent.js")
_STATIC_IMPORT = re.compile(r"""\bimport\s*(?:[^'"()]*?\bfrom\s*)?['"](/static/[^'"]+)['"]""")


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 9))


def statically_imported(shell, asset, seen=None) -> list:
    """The asset and the modules it imports statically (not import()), depth first."""
    seen = seen if seen is not None else set()
    if asset.name in seen:
        return []
    seen.add(asset.name)
    out = [asset]
    for url in _STATIC_IMPORT.findall(asset.body.decode()):
        dep = shell.by_name.get(url[len("/static/"):])
        if dep is not None:
            out += statically_imported(shell, dep, seen)
    return out


def main() -> int:
    from flask_migrate import upgrade

    from kultialogo import create_app
    from kultialogo.demo import DEMO_PASSWORD, load_demo
    from kultialogo.pwa import current_shell

    folder = Path(tempfile.mkdtemp(prefix="kultialogo-shell-size-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}", "DATA_DIR": str(folder),
                      "SECRET_KEY": "bench", "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024,
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        load_demo()
        shell = current_shell()
        client = app.test_client()
        pages = {"/ (not signed in)": client.get("/").data}
        signin = client.get("/signin").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', signin).group(1)
        client.post("/signin", data={"username": "amina", "password": DEMO_PASSWORD, "csrf_token": token})
        pages["/ (signed in)"] = client.get("/").data

    css = shell.assets["css/shell.css"]
    entry = shell.assets["js/app.js"]
    modules = statically_imported(shell, entry)
    print(f"shell version {shell.version}\n")
    print(f"{'file':44} {'raw B':>8} {'gzip B':>8}")
    for asset in [*sorted(shell.assets.values(), key=lambda a: a.name), shell.worker]:
        print(f"{asset.name:44} {len(asset.body):8} {len(asset.gzip):8}")
    tools = [shell.assets[name] for name in LAZY_TOOLS if name in shell.assets]
    install = sum(len(a.gzip) for a in shell.assets.values()) + len(shell.worker.gzip)
    total = install - sum(len(t.gzip) for t in tools)
    tools_ok = all(len(t.gzip) <= TOOL_BUDGET for t in tools)
    print("\nlazily loaded tools (import() only when needed; precached for offline use):")
    for tool in tools:
        print(f"  {tool.name:42} {len(tool.gzip):8} B gzip   budget {TOOL_BUDGET}  "
              f"{'OK' if len(tool.gzip) <= TOOL_BUDGET else 'OVER'}")
    worst = 0
    print("\ncritical path of / (HTML + CSS + entry module and its static imports):")
    for label, html in pages.items():
        parts = [("HTML " + label, len(html), gz(html)), (css.name, len(css.body), len(css.gzip))]
        parts += [(m.name, len(m.body), len(m.gzip)) for m in modules]
        size = sum(p[2] for p in parts)
        worst = max(worst, size)
        for name, raw, packed in parts:
            print(f"  {name:42} {raw:8} {packed:8}")
        print(f"  {'= ' + label:42} {'':8} {size:8}   budget {CRITICAL_BUDGET}  {'OK' if size <= CRITICAL_BUDGET else 'OVER'}")
    print(f"\nall JS + CSS of the shell (sw.js included, tools not): {total} B gzip   budget {TOTAL_BUDGET}  "
          f"{'OK' if total <= TOTAL_BUDGET else 'OVER'}")
    print(f"downloaded at install (shell + tools): {install} B gzip")
    return 0 if worst <= CRITICAL_BUDGET and total <= TOTAL_BUDGET and tools_ok else 1


if __name__ == "__main__":
    sys.exit(main())
