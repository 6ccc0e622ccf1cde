"""The phone's personal-data detector (pwa/js/disclosure.js) against the server's
(server/disclosure.py), case by case over the server's own table (tests/unit/test_disclosure.py),
in Chromium. The phone has no libphonenumber: its phone pattern is narrower and looser than the
server's, and the cases where the two knowingly differ are listed here with why."""
import pytest

from kultialogo import disclosure
from tests.e2e.browser import SQLITE_ONLY
from tests.unit.test_disclosure import ACCEPTED_FALSE_POSITIVES, FOUND, NAMES, NOT_FOUND

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]

SALT = "0123456789abcdef"
# What the phone knows of the community's names: their hashes (GET .../name-hashes).
NAME_LIST = {"salt": SALT, "hashes": disclosure.name_hashes(SALT, NAMES)}

# Cases beyond the server's table that show where the two part.
MORE = [
    ("en", "My code is 0000 0000 here."),
    ("nl", "Bel 6 12345678"),
    ("it", "Fisso 0577-12 34 56, cellulare 3331234567."),
    ("de", "Ruf an: 030 12345678"),
    ("en", "US: +1 202 555 0143, on 01.05.2023."),
]

# text -> (what the phone finds, why it differs from the server). Every case of the server's
# table agrees; these are the differences known. The test fails when one of them starts to
# agree (then take it out) or another case differs.
KNOWN_DIFFERENCES = {
    # No numbering plan on the phone: 8 digits from 0 look like a national number; the server
    # knows no country has that range. A false positive the person keeps with one tap.
    "My code is 0000 0000 here.": ([["phone", "0000 0000", 11, 20]], "no numbering plans on the phone"),
    # A Dutch mobile written without its 0 and cut by a space: libphonenumber finds the last
    # 8 digits as a number; the phone wants a 0, a + or an Italian 3xx mobile, and finds nothing.
    "Bel 6 12345678": ([], "a number without its national 0 or +: the server only"),
}

FIND = """async ([text, list]) => (await import('/static/js/disclosure.js')).find(text, list)
    .map((s) => [s.kind, s.text, s.start, s.end])"""


def _cases():
    for language, text, _kind, _words in FOUND:
        yield language, text
    yield from NOT_FOUND
    for language, text, _kind in ACCEPTED_FALSE_POSITIVES:
        yield language, text
    yield from MORE
    yield "it", ("Si chiama Paolo Bianchi, abita in via dei Rossi 12 e il suo numero è 333 123 4567: "
                 "scrivete a paolo@example.it")


def test_the_phone_finds_what_the_server_finds_in_the_servers_table(app, live_server, context):
    page = context.new_page()
    page.goto(live_server.url + "/signin")
    agree, differ = [], {}
    for language, text in _cases():
        server = [[s.kind, s.text, s.start, s.end] for s in disclosure.find(text, language, NAMES)]
        phone = page.evaluate(FIND, [text, NAME_LIST])
        if phone == server:
            agree.append(text)
        else:
            differ[text] = (phone, server)
    unexpected = {text: found for text, found in differ.items() if text not in KNOWN_DIFFERENCES}
    assert unexpected == {}, "the phone and the server disagree (phone, server)"
    for text, (phone, _reason) in KNOWN_DIFFERENCES.items():
        assert text in differ, f"now agrees with the server: take it out of KNOWN_DIFFERENCES: {text}"
        assert differ[text][0] == phone, (text, differ[text])
    assert len(agree) >= len(FOUND) + len(NOT_FOUND)


def test_the_phone_hashes_names_as_the_server_does(app, live_server, context):
    page = context.new_page()
    page.goto(live_server.url + "/signin")
    names = ["Paolo Bianchi", "  olena   KOVALENKO ", "Ахмад Карими", "أحمد کریمی", "Jan de Vries", "Zoë Ødegård"]
    phone = page.evaluate("""async ([salt, names]) => {
        const module = await import('/static/js/disclosure.js');
        return names.map((name) => module.nameHash(salt, name));
    }""", [SALT, names])
    assert phone == [disclosure.name_hash(SALT, name) for name in names]


def test_a_first_name_alone_and_the_writers_own_name_are_not_flagged(app, live_server, context):
    page = context.new_page()
    page.goto(live_server.url + "/signin")
    assert page.evaluate(FIND, ["Paolo helped us, and so did Jan.", NAME_LIST]) == []
    assert page.evaluate(FIND, ["Io sono Paolo Bianchi.", {"salt": SALT, "hashes": []}]) == []
    assert page.evaluate(FIND, ["Io sono Paolo Bianchi.", {}]) == []  # no list kept on this phone
