"""The CSRF token as a cookie scripts can read (docs/sync.md, Authentication): the service
worker has no page to read <meta name="csrf-token"> from."""
import re

from tests import factories as f
from tests.pages.util import signed_in_client


def _csrf_cookie(response):
    found = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("csrf_token=")]
    return found[0] if found else None


def _meta_token(response) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_a_signed_in_page_sets_a_readable_lax_cookie_the_push_accepts_then_no_more(app, client):
    f.community()
    f.account("amina", community_slug="siena")
    signed_in = signed_in_client(app, "amina")
    page = signed_in.get("/", headers={"Accept": "text/html", "Sec-Fetch-Mode": "navigate"})
    header = _csrf_cookie(page)
    assert header is not None
    attributes = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
    assert "httponly" not in attributes and "secure" not in attributes  # plain http here
    assert "SameSite=Lax" in header and "Path=/" in header
    token = signed_in.get_cookie("csrf_token").value
    # The same token as the page's meta stands for (both signed forms of one session token).
    pushed = signed_in.post("/api/v1/sync/push", json={"items": []}, headers={"X-CSRF-Token": token})
    assert pushed.status_code != 403
    assert _meta_token(page)

    again = signed_in.get("/", headers={"Accept": "text/html", "Sec-Fetch-Mode": "navigate"})
    assert _csrf_cookie(again) is None  # the phone's cookie still holds: no header for nothing


def test_the_cookie_is_secure_over_https(app, client):
    f.community()
    f.account("amina", community_slug="siena")
    signed_in = signed_in_client(app, "amina")
    page = signed_in.get("/", base_url="https://localhost", headers={"Accept": "text/html"})
    header = _csrf_cookie(page)
    assert header is not None and "Secure" in header


def test_signed_out_and_public_answers_carry_no_csrf_cookie(app, client):
    from kultialogo.pwa import current_shell
    f.community()
    f.account("amina", community_slug="siena")
    assert _csrf_cookie(client.get("/")) is None
    assert _csrf_cookie(client.get("/signin")) is None
    signed_in = signed_in_client(app, "amina")
    signed_in.get("/")
    signed_in.delete_cookie("csrf_token")
    css = signed_in.get(current_shell().assets["css/shell.css"].url)
    assert css.cache_control.public
    assert not css.headers.getlist("Set-Cookie")
    strings = signed_in.get("/i18n/ar/page.json")
    assert strings.cache_control.public and not strings.headers.getlist("Set-Cookie")
