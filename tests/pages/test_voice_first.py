"""The voice-first markup of the pages (issue #8, item 5), as the server sends it: icons beside
words, and every button that needs JavaScript or speech synthesis hidden until a script shows
it, so that without them no button does nothing (the browser tests cover the behaviour)."""
import re
from html.parser import HTMLParser

from tests import factories as f
from tests.pages.util import signed_in_client, text

ICONS = {"stories", "write", "events", "account", "join", "signin", "signout", "language", "speaker",
         "mic", "stop", "pause", "play", "again", "send", "help", "close", "phone", "sent", "next"}


class Page(HTMLParser):
    """Elements as (tag, attrs, text inside) and the sprite's symbol ids."""

    def __init__(self):
        super().__init__()
        self.stack, self.elements, self.symbols, self.uses = [], [], set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "symbol":
            self.symbols.add(attrs["id"])
        if tag == "use":
            self.uses.append(attrs["href"])
        if tag in ("use", "input", "meta", "link", "br", "path", "rect", "circle"):
            return
        entry = [tag, attrs, ""]
        self.elements.append(entry)
        self.stack.append(entry)

    def handle_endtag(self, tag):
        if tag not in [entry[0] for entry in self.stack]:
            return  # <use/>, <path/>: never opened here
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        for entry in self.stack:
            entry[2] += data


def parse(html):
    page = Page()
    page.feed(html)
    return page


def test_the_write_page_pairs_each_icon_with_words_and_hides_what_needs_a_script(app):
    f.community("siena")
    f.account("amina", community_slug="siena")
    html = text(signed_in_client(app, "amina").get("/write"))
    page = parse(html)
    assert 'style="' not in html
    assert set(page.uses) <= {f"#{s}" for s in page.symbols}  # every icon drawn is in the page's sprite
    for tag, attrs, inside in page.elements:
        if tag == "svg" and "sprite" not in attrs.get("class", ""):
            assert attrs.get("aria-hidden") == "true"
        if "data-icon" in attrs and tag in ("a", "button", "label"):
            assert attrs["data-icon"] in ICONS and inside.strip(), (tag, attrs)
    speakers = [attrs for tag, attrs, _ in page.elements if "data-speak" in attrs]
    # The two questions, the checklist and the hint; none shown without a script.
    assert {a["data-speak"] for a in speakers} == {"visibility-set", "author_display-set", "safety-checks", "voice-hint"}
    assert all("hidden" in a for a in speakers)
    hidden_until_script = {"voice-start", "voice-hint", "speak-mode", "voice-done"}
    for tag, attrs, _ in page.elements:
        classes = set(attrs.get("class", "").split()) | {attrs.get("id", "")}
        if classes & hidden_until_script:
            assert "hidden" in attrs, attrs
    # The send button carries its icon and its word.
    assert re.search(r'<button type="submit" class="primary send" data-icon="send"><svg[^>]*>.*?</svg><span>Send</span>',
                     html, re.S)


def test_signed_out_pages_show_sign_in_and_join_with_icons(app, client):
    page = parse(text(client.get("/")))
    icons = {attrs["data-icon"]: inside.strip() for tag, attrs, inside in page.elements
             if tag == "a" and "data-icon" in attrs}
    assert icons == {"stories": "Stories", "signin": "Sign in", "join": "Join"}
