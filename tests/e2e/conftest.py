"""Real-browser fixtures: Debian's Chromium driven by Playwright, against `kultialogo run`.

Browser tests run on SQLite only (each module says so with SQLITE_ONLY): they test the phone
side; the API and database behaviour have their own tests on both databases.
"""
import shutil
from pathlib import Path

import pytest

from tests import factories as f
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, PHONE, REPO


@pytest.fixture(scope="session")
def playwright_driver():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_driver):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser):
    """new_context(**options): a fresh profile (its own service worker, IndexedDB, cookies)."""
    contexts = []

    def make(**options):
        options.setdefault("viewport", PHONE)
        options.setdefault("device_scale_factor", 2)
        options.setdefault("is_mobile", True)
        options.setdefault("has_touch", True)
        options.setdefault("locale", "en-GB")
        context = browser.new_context(**options)
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def people(app):
    """A community and one participant, amina (password factories.PASSWORD)."""
    f.community("siena")
    f.account("amina", community_slug="siena")
    return {"community": "siena", "username": "amina"}


@pytest.fixture
def shell_copy(tmp_path):
    """A private copy of pwa/ that a test may change ("deploy a new shell")."""
    target = tmp_path / "pwa"
    shutil.copytree(REPO / "pwa", target)
    return target


