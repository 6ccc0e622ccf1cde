"""After signing in or choosing a language a person goes back where they were, never off-site."""
import pytest

from tests import factories as f
from tests.people.helpers import Fresh

OFF_SITE = [
    "/\t/evil.example/", "/%09/evil.example/", "/\n/evil.example/", "/\r\n/evil.example/",
    "//evil.example/", "///evil.example/", "/\\evil.example/", "\\/evil.example/", "/\\/evil.example/",
    "https://evil.example/", "http:/evil.example", "javascript:alert(1)", " //evil.example",
    "evil.example", "/\x00/evil.example", "/\x7f/evil.example", "/%2F%2Fevil.example", "/%5Cevil.example",
]
LOCAL = ["/", "/write", "/?language=ar", "/events#today", "/stories/a%20b"]


@pytest.fixture
def amina(app):
    f.community("a")
    return f.account("amina", community_slug="a")


def _signin(app, target):
    browser = Fresh(app)
    token = browser.csrf("/signin")
    return browser.open("/signin", method="POST", query_string={"next": target},
                        data={"csrf_token": token, "username": "amina", "password": f.PASSWORD},
                        environ_base=f.address_of("amina"))


def _language(app, target):
    browser = Fresh(app)
    token = browser.csrf("/")
    return browser.post("/language", data={"csrf_token": token, "lang": "ar", "next": target})


@pytest.mark.parametrize("target", OFF_SITE)
def test_sign_in_never_sends_a_person_off_site(app, amina, target):
    response = _signin(app, target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_choosing_a_language_never_sends_a_person_off_site(app, target):
    response = _language(app, target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", LOCAL)
def test_local_paths_are_kept(app, amina, target):
    for response in (_signin(app, target), _language(app, target)):
        assert response.status_code == 302
        assert response.headers["Location"] == target
