"""A new shell deployed while a page is open: the person is asked, and nothing is lost."""
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout, expect

from tests.e2e.browser import SQLITE_ONLY, outbox, sign_in, wait_for_worker, write_story
from tests.faultproxy import FaultProxy

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]


def _stylesheet(page):
    return page.eval_on_selector("link[rel=stylesheet]", "link => link.getAttribute('href')")


def _ask_for_the_update(page, tries=20):
    """Ask the browser to look for a new worker until one is installing or waiting.

    Chromium folds an update() call into its own check after a navigation when that check is
    still in flight, and that one may have fetched sw.js before the deploy: asked once, the new
    shell is sometimes not seen until the next check (on a phone, the next navigation or hour).
    """
    for _ in range(tries):
        if page.evaluate("""async () => {
            const r = await navigator.serviceWorker.getRegistration();
            if (r.installing || r.waiting) return true;
            await r.update().catch(() => {});
            return Boolean(r.installing || r.waiting);
        }"""):
            return
        page.wait_for_timeout(500)
    raise AssertionError("the browser found no new worker after the deploy")


def test_new_shell_prompts_before_reloading_and_the_outbox_survives(app, people, live_server_factory,
                                                                    shell_copy, context):
    server = live_server_factory(extra_env={"KULTIALOGO_PWA_DIR": str(shell_copy)})
    # The outbox item stays queued: every push is lost on the way.
    context.route("**/api/v1/sync/push", lambda route: route.abort("internetdisconnected"))
    page = context.new_page()
    sign_in(page, server.url)
    page.goto(server.url + "/write")
    wait_for_worker(page)
    write_story(page, "Waiting through an update")
    expect(page.locator(".mine-item", has_text="Waiting through an update")).to_contain_text("Saved on this phone")
    [queued] = outbox(page)
    old_css = _stylesheet(page)
    page.fill("#title", "Half a title")  # the person is writing when the update arrives
    page.evaluate("window.notReloaded = true")

    # Deploy: a change to the shell's CSS gives new hashed names and a new worker.
    with open(shell_copy / "css" / "pwa.css", "a") as css:
        css.write("\n.banner-update { font-weight: 600; }\n")
    _ask_for_the_update(page)

    prompt = page.locator("[data-banner=update]")
    expect(prompt).to_contain_text("A new version of Kultialogo is ready.")
    assert page.evaluate("window.notReloaded === true"), "the page reloaded without asking"
    expect(page.locator("#title")).to_have_value("Half a title")

    try:
        with page.expect_navigation():
            prompt.get_by_role("button", name="Update now").click()
    except PlaywrightTimeout as timeout:
        # Say where it stood, within seconds: a page whose navigation is stuck never answers
        # an evaluate, and that would hang the whole run.
        try:
            state = page.wait_for_function("""async () => {
                const r = await navigator.serviceWorker.getRegistration();
                const s = (w) => w && w.state;
                return JSON.stringify({installing: s(r.installing), waiting: s(r.waiting), active: s(r.active),
                        controller: s(navigator.serviceWorker.controller),
                        button: document.querySelector('[data-banner=update] button')?.disabled});
            }""", timeout=5000).json_value()
        except PlaywrightTimeout:
            state = "the page does not answer (its navigation is stuck)"
        raise AssertionError(f"no reload after 'Update now': {state}") from timeout
    expect(page.locator("#title")).to_have_value("Half a title")  # the draft came back
    new_css = _stylesheet(page)
    assert new_css != old_css and re.match(r"^/static/css/shell\.[0-9a-f]{10}\.css$", new_css)
    assert page.evaluate("getComputedStyle(document.querySelector('.bar')).display") == "flex"
    assert [item["id"] for item in outbox(page)] == [queued["id"]]
    assert page.evaluate("""async () => (await caches.keys()).filter((n) => n.startsWith('kultialogo-shell-v')).length""") == 1


def test_update_now_does_not_wait_for_a_page_the_old_worker_is_still_keeping(app, people, live_server_factory,
                                                                           shell_copy, context):
    """The old worker fetches pages for offline reading (warm) in the background. On a weak
    signal such a fetch can hang for minutes, and a new worker cannot take over while the old
    one still works on it: "Update now" must stop that work rather than wait for it."""
    server = live_server_factory(extra_env={"KULTIALOGO_PWA_DIR": str(shell_copy)})
    # Between the phone and the server: /activity, which only the worker's warm asks for here,
    # answers after two minutes.
    with FaultProxy(server.url, delay_rate=1.0, delay_s=(120, 120),
                    faults_only_for=lambda method, path: path == "/activity") as proxy:
        page = context.new_page()
        sign_in(page, proxy.url)
        page.goto(proxy.url + "/write")
        wait_for_worker(page)
        for _ in range(100):
            if any(path == "/activity" for _n, _method, path, *_rest in list(proxy.events)):
                break
            page.wait_for_timeout(100)
        else:
            raise AssertionError("the worker never asked for /activity")

        with open(shell_copy / "css" / "pwa.css", "a") as css:
            css.write("\n.banner-update { font-weight: 600; }\n")
        _ask_for_the_update(page)
        prompt = page.locator("[data-banner=update]")
        expect(prompt).to_contain_text("A new version of Kultialogo is ready.")
        old_css = _stylesheet(page)
        try:
            with page.expect_navigation(timeout=15_000):
                prompt.get_by_role("button", name="Update now").click()
        except PlaywrightTimeout as timeout:
            raise AssertionError("'Update now' waited for the old worker's fetch") from timeout
        assert _stylesheet(page) != old_css
