// Interface strings for the client, from the same gettext catalogs as the server.
// The server compiles the strings of pwa/js into small JSON bundles per locale and kind of
// page (GET /i18n/<locale>/<bundle>.json; server/i18n CLIENT_BUNDLES says which modules each
// covers): a page loads its own bundle in its own locale only, and a module loaded only where
// it runs may add its own (recorder.js). Shape: {"locale": "ar", "messages": {msgid: "text" |
// [plural forms]}, "plural": "0123…"}.
let strings = {};
let loaded = false;
const missing = new Set();
// plural[n] is the catalog's form index for n < 200, and plural[100 + n % 100] above: exact for
// gettext rules that use n and n % 100 (ours do), and no eval(), which the CSP forbids.
let pluralTable = '';

export function locale() {
  return document.documentElement.lang || 'en';
}

// The digits CLDR gives a locale by default where they are not 0-9 (as kultialogo/i18n
// native_digits writes the server's numbers). Chromium's Intl has no Pashto at all and would
// fall back to en-US, so a size or a clock on the page would not match the server's dates.
const NUMBERING = { fa: 'arabext', ps: 'arabext' };

// Intl.NumberFormat for the page's language, in that language's digits even where the
// browser does not know the language.
export function numberFormat(options = {}) {
  const lang = locale();
  const system = NUMBERING[lang.split('-')[0]];
  if (!system || Intl.NumberFormat.supportedLocalesOf([lang]).length) return new Intl.NumberFormat(lang, options);
  return new Intl.NumberFormat(lang, { ...options, numberingSystem: system });
}

// A day as the server's pages write it: "long", in the Gregorian calendar as Babel does (the
// browser's Persian would be Solar Hijri, another date than the same story's online). Where the
// browser does not know the language (Chromium: Pashto) it would write English month names:
// the day in figures instead, year first as CLDR's short date for Pashto (y/M/d), in its digits.
export function formatDay(date) {
  const lang = locale();
  if (Intl.DateTimeFormat.supportedLocalesOf([lang]).length) {
    return new Intl.DateTimeFormat(lang, { dateStyle: 'long', calendar: 'gregory' }).format(date);
  }
  const digits = numberFormat({ useGrouping: false });
  return [date.getFullYear(), date.getMonth() + 1, date.getDate()].map((n) => digits.format(n)).join('/');
}

// A language's name in the page's language ("uk" is "Ukrainian", "اوکراینی"); where the
// browser does not know the page's language (Chromium: Pashto) it would answer in English: the
// language's own name then ("українська"), which its readers know. The tag itself if odd.
export function languageName(tag) {
  const page = locale();
  const known = Intl.DisplayNames.supportedLocalesOf([page]).length;
  try {
    return new Intl.DisplayNames([known ? page : tag], { type: 'language' }).of(tag) || tag;
  } catch (err) {
    return tag;
  }
}

// The address of a bundle of strings in the page's language (null in English).
export function stringsUrl(bundle) {
  const lang = locale();
  return lang === 'en' ? null : `/i18n/${encodeURIComponent(lang)}/${bundle}.json`;
}

// Add a bundle's strings to those loaded: 'page', 'feed', 'write' (app.js picks one per page),
// or a module's own ('recorder').
export async function loadStrings(bundle = 'page') {
  const url = stringsUrl(bundle);
  if (!url) return;  // msgids are English
  try {
    const response = await fetch(url, { credentials: 'same-origin' });
    if (response.ok) {
      const catalog = await response.json();
      strings = { ...strings, ...(catalog.messages || {}) };
      pluralTable = catalog.plural || pluralTable;
      loaded = true;
    }
  } catch (err) {
    // Offline and not cached yet: English is better than nothing; never block the page.
  }
}

// A string asked for that the page's bundles lack: its module is missing from its page's
// bundle (server/i18n CLIENT_BUNDLES) or it has no translation. Said once, for developers.
function lacking(msgid) {
  if (!loaded || missing.has(msgid)) return;
  missing.add(msgid);
  console.warn(`kultialogo i18n: no ${locale()} string for "${msgid}"`);  // eslint-disable-line no-console
}

function fill(text, params) {
  if (!params) return text;
  return text.replace(/%\((\w+)\)s/g, (match, name) => (name in params ? String(params[name]) : match));
}

// t('Saved on this phone') or t('Sent to %(name)s', { name }), same placeholders as Python.
export function t(msgid, params) {
  const text = strings[msgid];
  if (typeof text !== 'string' || !text) lacking(msgid);
  return fill(typeof text === 'string' && text ? text : msgid, params);
}

function pluralIndex(n) {
  const i = Math.floor(Math.abs(Number(n))) || 0;
  const digit = pluralTable[i < 200 ? i : 100 + (i % 100)];
  return digit === undefined ? (i === 1 ? 0 : 1) : Number(digit);
}

// nt('%(num)s story waiting', '%(num)s stories waiting', n): the catalog's plural form for n
// (Arabic has six); %(num)s is n, as with flask-babel's ngettext.
export function nt(singular, plural, n, params) {
  const values = { num: n, ...params };
  const forms = strings[singular];
  if (Array.isArray(forms) && forms[pluralIndex(n)]) return fill(forms[pluralIndex(n)], values);
  lacking(singular);
  return fill(Number(n) === 1 ? singular : plural, values);  // untranslated: the English rule
}
