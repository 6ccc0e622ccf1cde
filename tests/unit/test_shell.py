"""The PWA shell build (server/pwa.py): hashed, minified, imports rewritten, served right."""
import gzip
import json
import re

from kultialogo.pwa import build_shell, shell_dir, worker_dir


def test_build_hashes_every_module_and_points_imports_at_the_hashed_names():
    shell = build_shell(shell_dir(), worker_dir())
    app_js = shell.assets["js/app.js"]
    assert re.fullmatch(r"js/app\.[0-9a-f]{10}\.js", app_js.name)
    text = app_js.body.decode()
    imported = re.findall(r"""import\s*\(?\s*['"](/static/js/[^'"]+)['"]""", text) + \
        re.findall(r"""from\s*['"](/static/js/[^'"]+)['"]""", text)
    assert imported and all(url[len("/static/"):] in shell.by_name for url in imported)
    assert "./" not in "".join(imported)
    assert "\n\n" not in text  # minified
    assert gzip.decompress(app_js.gzip) == app_js.body


def test_worker_carries_the_precache_list_and_a_versioned_cache_name():
    shell = build_shell(shell_dir(), worker_dir())
    sw = shell.worker.body.decode()
    manifest = json.loads(re.search(r"const SHELL=(\{.*?\});", sw).group(1))
    assert manifest["version"] == shell.version
    assert "/offline" in manifest["precache"]
    assert shell.assets["css/shell.css"].url in manifest["precache"]
    assert all(a.url in manifest["precache"] for a in shell.assets.values())
    assert "kultialogo-shell-v" in sw
    assert re.search(r"""from\s*['"]/static/js/push\.[0-9a-f]{10}\.js['"]""", sw)


def test_a_changed_source_changes_the_hashes_and_the_version(tmp_path):
    import shutil
    copy = tmp_path / "pwa"
    shutil.copytree(shell_dir(), copy)
    before = build_shell(copy, worker_dir())
    with open(copy / "js" / "db.js", "a") as fh:
        fh.write("\n// a change\nexport const CHANGED = 1;\n")
    after = build_shell(copy, worker_dir())
    assert after.version != before.version
    assert after.assets["js/db.js"].name != before.assets["js/db.js"].name
    # Modules importing db.js change too, so no cache holds an old graph.
    assert after.assets["js/outbox.js"].name != before.assets["js/outbox.js"].name
    assert after.assets["js/i18n.js"].name == before.assets["js/i18n.js"].name


def test_shell_files_are_served_immutable_compressed_and_the_worker_uncached(client):
    from kultialogo.pwa import current_shell
    page = client.get("/")
    css = current_shell().assets["css/shell.css"]
    assert css.url in page.get_data(as_text=True)
    response = client.get(css.url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "immutable" in response.headers["Cache-Control"]
    old = client.get("/static/css/shell.0123456789.css")  # a page from before a deploy
    assert old.status_code == 200 and old.headers["Cache-Control"] == "no-cache"
    sw = client.get("/sw.js")
    assert sw.status_code == 200 and sw.headers["Cache-Control"] == "no-cache"
    assert sw.mimetype == "text/javascript"
    manifest = client.get("/manifest.webmanifest").get_json(force=True)
    assert manifest["display"] == "standalone" and manifest["start_url"].startswith("/")
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
    assert client.get("/offline").status_code == 200


def test_the_worker_imports_no_module_that_touches_the_page():
    """The service worker shares the push with the pages (push.js and what it imports); a
    module that reaches for `document` or `window` would break it (issue 14)."""
    from kultialogo.pwa import _IMPORT_RE
    shell = build_shell(shell_dir(), worker_dir())
    seen, todo = set(), [shell.worker]
    while todo:
        asset = todo.pop()
        seen.add(asset.name)
        for match in _IMPORT_RE.finditer(asset.body.decode()):
            dep = shell.by_name[match.group("spec")[len("/static/"):]]
            if dep.name not in seen:
                todo.append(dep)
    modules = sorted(seen - {"sw.js"})
    assert "js/push.js" in {shell.by_name[name].logical for name in modules}
    # Minified: comments are gone, so only code counts.
    touching = [name for name in seen if re.search(r"\b(?:document|window)\b",
                                                   (shell.by_name.get(name) or shell.worker).body.decode())]
    assert touching == [], touching
    # And the page's own modules stay out of it.
    logical = {shell.by_name[name].logical for name in modules}
    assert not logical & {"js/triggers.js", "js/pull.js", "js/ui.js", "js/forms.js", "js/app.js"}, logical
