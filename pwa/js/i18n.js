// Interface strings for the client, from the same gettext catalogs as the server.
// The server compiles only the strings that appear in pwa/js and service-worker/ into a small
// JSON per locale (GET /i18n/<locale>.json); only the page's own locale is ever loaded.
let strings = {};

export function locale() {
  return document.documentElement.lang || 'en';
}

export async function loadStrings() {
  const lang = locale();
  if (lang === 'en') return;  // msgids are English
  try {
    const response = await fetch(`/i18n/${encodeURIComponent(lang)}.json`, { credentials: 'same-origin' });
    if (response.ok) strings = await response.json();
  } catch (err) {
    // Offline and not cached yet: English is better than nothing; never block the page.
  }
}

// t('Saved on this phone') or t('%(count)s stories', { count: 3 }), same placeholders as Python.
export function t(msgid, params) {
  const text = strings[msgid] || msgid;
  if (!params) return text;
  return text.replace(/%\((\w+)\)s/g, (match, name) => (name in params ? String(params[name]) : match));
}
