"""The client's t() and nt() in a real Chromium, with the server's Arabic catalog."""
import json

import pytest

from tests.e2e.browser import SQLITE_ONLY

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]

FORMS = ["لا قصص", "قصة واحدة", "قصتان", "%(num)s قصص", "%(num)s قصة", "%(num)s قصة (مئة وأكثر)"]


def test_t_and_nt_use_the_catalog_and_its_six_arabic_plural_forms(app, live_server, new_context):
    import requests
    served = requests.get(live_server.url + "/i18n/ar.json", timeout=10).json()
    # The real plural table and strings, plus one plural message of our own.
    catalog = {**served, "messages": {**served["messages"], "%(num)s story waiting": FORMS,
                                       "Sent to %(name)s": "أُرسلت إلى %(name)s"}}
    context = new_context(locale="ar")
    context.add_cookies([{"name": "lang", "value": "ar", "url": live_server.url}])
    page = context.new_page()
    page.route("**/i18n/ar/page.json", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(catalog)))
    page.goto(live_server.url + "/signin")
    result = page.evaluate("""async () => {
        const i18n = await import('/static/js/i18n.js');
        await i18n.loadStrings();
        const nt = (n) => i18n.nt('%(num)s story waiting', '%(num)s stories waiting', n);
        return {
            locale: i18n.locale(),
            plurals: [0, 1, 2, 3, 10, 11, 99, 100, 102, 103, 1011].map(nt),
            t: i18n.t('Sent to %(name)s', {name: 'أمينة'}),
            missing: i18n.t('Not in the catalog %(x)s', {x: 1}),
            untranslatedPlural: [1, 5].map((n) => i18n.nt('%(num)s file', '%(num)s files', n)),
        };
    }""")
    assert result["locale"] == "ar"
    assert result["plurals"] == ["لا قصص", "قصة واحدة", "قصتان", "3 قصص", "10 قصص", "11 قصة", "99 قصة",
                                 "100 قصة (مئة وأكثر)", "102 قصة (مئة وأكثر)", "103 قصص", "1011 قصة"]
    assert result["t"] == "أُرسلت إلى أمينة"
    assert result["missing"] == "Not in the catalog 1"
    assert result["untranslatedPlural"] == ["1 file", "5 files"]
