"""The session cookie is renewed on page navigations only, not on every asset or API answer."""
from tests import factories as f
from tests.pages.util import signed_in_client


def _sets_session(response) -> bool:
    return any(h.startswith("session=") for h in response.headers.getlist("Set-Cookie"))


def test_navigation_renews_the_session_but_assets_and_fetches_do_not(app, client):
    f.community()
    f.account("amina", community_slug="siena")
    signed_in = signed_in_client(app, "amina")

    page = signed_in.get("/", headers={"Accept": "text/html", "Sec-Fetch-Mode": "navigate"})
    assert page.status_code == 200
    assert _sets_session(page)  # the sliding expiry moves on with each visit

    fetched = signed_in.get("/api/v1/sync/pull?limit=1", headers={"Accept": "*/*", "Sec-Fetch-Mode": "cors"})
    assert fetched.status_code == 200
    assert not _sets_session(fetched)

    icon = signed_in.get("/static/icons/icon.svg", headers={"Accept": "image/*", "Sec-Fetch-Mode": "no-cors"})
    assert icon.status_code == 200
    assert not _sets_session(icon)
    icon.close()  # a streamed file


def test_signing_in_sets_the_cookie_whatever_the_request(app, client):
    f.community()
    f.account("amina", community_slug="siena")
    response = f.sign_in(app.test_client(), "amina")
    assert _sets_session(response)
