"""Pages a signed-in person sees are never kept by the browser's HTTP cache (shared phones)."""
import pytest

from tests.people.helpers import Fresh
from tests.people.test_security_headers_and_csrf import html_get_paths, site  # noqa: F401 (fixture)


def _get_paths_of(app) -> list[str]:
    """Every GET route of the app that takes no argument, found from its URL map."""
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith("/static")})


@pytest.mark.parametrize("who", ["member", "fac", "root"])
def test_every_page_a_signed_in_person_gets_is_private_and_not_stored(app, site, who):  # noqa: F811
    browser = Fresh(app)
    browser.sign_in(who)
    checked = 0
    for path in sorted(set(_get_paths_of(app)) | set(html_get_paths(site))
                       | {"/review/reports", "/admin", "/admin/audit", "/events", "/dashboard"}):
        response = browser.get(path)
        if response.mimetype != "text/html":  # pages; the API sets its own (pull: private, revalidated)
            continue
        control = response.headers.get("Cache-Control", "")
        if control.startswith("public") or "immutable" in control or path == "/offline":
            continue  # the same for everyone (limits, the OpenAPI document, the offline shell page), cached on purpose
        assert "no-store" in control, (path, response.status_code, control)
        checked += 1
    assert checked > 15


def test_public_pages_signed_out_keep_their_caching(app, site):  # noqa: F811
    response = Fresh(app).get("/")
    assert "no-store" not in response.headers.get("Cache-Control", "")
