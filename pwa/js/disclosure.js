// Personal data in a text before it leaves the phone (#17): phone numbers, e-mails, street
// addresses, document numbers and other members' full names, found as server/disclosure.py
// finds them, each with Keep / Remove / Replace. It only points: "Send as it is" always sends.
// Loaded with import() when a story, translation or reply with words in it is sent.
import { t } from './i18n.js';
import { getMeta, setMeta } from './db.js';
import { el } from './ui.js';

// Python's \w, \d and \b are Unicode-aware; JavaScript's are not, even with the u flag.
const R = String.raw;
const W = R`[\p{L}\p{N}_]`;
const B = `(?<!${W})`;
const D = R`\p{Nd}`;
const NUM = R`[0-9٠-٩۰-۹]{1,4}(?:[a-zA-Z](?!${W}))?(?:/[0-9]{1,3})?`;
const BEFORE = R`(?:via|viale|piazza|piazzale|corso|vicolo|largo|strada|ulica|ulici|ulicu|ul\.|bulevar|trg|улица|улици|улицу|ул\.|булевар|трг|вулиця|вул\.|проспект|просп\.|провулок|пров\.|площа|rue|avenue|av\.|boulevard|bd\.|place|chemin|allée|impasse|شارع|طريق|حي|خیابان|کوچه|بلوار|جاده|گلی|سڑک|روڈ|محلہ|سړک|کوڅه|واټ)`;
const WORDS = R`\p{L}[\p{L}\p{N}_'’.-]*`;
const CAPITAL = R`[A-ZÀ-Ý][\p{L}\p{N}_'’-]*`;

// The server's patterns (server/disclosure.py), kind by kind; `french` is an address too.
export const PATTERNS = {
  email: R`(?<![\p{L}\p{N}_.+-])[\p{L}\p{N}_.+-]+@[\p{L}\p{N}_-]+(?:\.[\p{L}\p{N}_-]+)*\.\p{L}{2,}(?!${W})`,
  address: R`${B}${BEFORE}(?:\s+${WORDS}){1,4},?\s+${NUM}(?!${D})|${B}${BEFORE}\s+(?:${WORDS}\s+){0,3}${NUM}(?!${D})|${B}\p{L}+(?:straat|weg|laan|plein|gracht|kade|singel|dijk|steeg|hof)\s+${NUM}(?!${D})|${B}${NUM}\s+(?:${WORDS}\s+){0,3}(?:street|st\.|road|rd\.|avenue|ave\.|lane|drive|square|way)(?!${W})`,
  // 12 rue de la Paix: the street's name is capitalised (the server's (?-i:...) part).
  french: R`${B}${NUM},?\s+(?:[Rr]ue|[Aa]venue|[Bb]oulevard|[Pp]lace|[Cc]hemin|[Aa]llée|[Ii]mpasse)(?:\s+(?:[Dd]e|[Dd]u|[Dd]es|[Ll]a|[Ll]e|[Ll]'|[Dd]'|[Dd]e [Ll]a)){0,2}\s*${CAPITAL}(?:\s+${CAPITAL})?`,
  id_number: R`${B}(?:[A-Z]{2}${D}{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?|[A-Z]{6}${D}{2}[A-Z]${D}{2}[A-Z]${D}{3}[A-Z]|[A-Z]{1,2}${D}{6,9}|[A-Z]{2}${D}{5}[A-Z]{2}|${D}{5}-${D}{7}-${D}|${D}{13})(?!${W})`,
  // No libphonenumber here: a run of digits with spaces, dashes, dots, slashes or brackets,
  // judged by phone() below.
  phone: R`(?<![\p{L}\p{N}_+])\+?\(?${D}[\p{Nd} ()./-]*${D}`,
};

// +NN and 8-15 digits; a national number from 0 with 8-13 digits (Italy, Serbia, the
// Netherlands, Ukraine, Afghanistan, Pakistan); an Italian mobile (3xx, 10 digits). Not a date.
function phone(words) {
  const text = words.replace(/[٠-٩۰-۹]/g, (c) => c.charCodeAt(0) % 16);
  const digits = text.replace(/\D/g, '');
  const n = digits.length;
  if (/^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$/.test(text) || /[ ./-]{2}/.test(text)) return false;
  if (text[0] === '+') return n > 7 && n < 16;
  return digits[0] === '0' ? n > 7 && n < 14 : digits[0] === '3' && n === 10;
}

// The server's disclosure.fold_name and name_hash (FNV-1a 32, low bits).
function foldName(name) {
  return name.normalize('NFD').replace(/\p{Mn}/gu, '').toLowerCase().split(/\s+/).filter(Boolean).join(' ');
}

export function nameHash(salt, name) {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(`${salt} ${foldName(name)}`)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h & 0xfffff;  // disclosure.NAME_HASH_BITS
}

// Runs of 2-4 words (disclosure.NAME_WORDS; only spaces between them) whose hash is one of
// the members' full names.
function names(text, { salt, hashes: list } = {}) {
  const hashes = new Set(list);
  const words = [...text.matchAll(/[\p{L}\p{M}\p{N}_'’-]+/gu)];
  const out = [];
  words.forEach((first, i) => {
    for (const last of words.slice(i + 1, i + 4)) {
      const span = text.slice(first.index, last.index + last[0].length);
      if (/[^\s\p{L}\p{M}\p{N}_'’-]/u.test(span)) break;  // a comma or a full stop ends a name
      if (hashes.has(nameHash(salt, span))) out.push({ start: first.index, end: first.index + span.length, kind: 'name', text: span });
    }
  });
  return out;
}

// Every span, in order, overlaps merged (the longer wins), as disclosure.find does.
export function find(text, list) {
  const found = [];
  for (const [kind, pattern] of Object.entries(PATTERNS)) {
    for (const m of text.matchAll(new RegExp(pattern, kind === 'address' ? 'giu' : 'gu'))) {
      if (kind !== 'phone' || phone(m[0])) found.push({ start: m.index, end: m.index + m[0].length, kind: kind === 'french' ? 'address' : kind, text: m[0] });
    }
  }
  found.push(...names(text, list));
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const out = [];
  for (const span of found) if (!out.length || span.start >= out[out.length - 1].end) out.push(span);
  return out;
}

// The server's msgids (moderation/redaction.py): a moderator's and the phone's words match.
// Its `t`: the page's, or the text's own language's where that is not the page's (named t, so
// extraction finds the msgids).
const PLACEHOLDER = (t) => ({ phone: t('[phone number removed]'), email: t('[e-mail removed]'),
  address: t('[address removed]'), id_number: t('[document number removed]'), name: t('[name removed]') });

// What is asked for with signal and kept for none: the community's name hashes, and the
// strings of the text's language (placeholders in the language the text is written in).
async function kept(key, url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(4000) });
    if (response.ok) {
      const value = await response.json();
      await setMeta(key, value);
      return value;
    }
  } catch (err) {
    // No signal: the copy kept last time.
  }
  return getMeta(key).catch(() => {});  // undefined, never null (find's list)
}

function cut(text, span, instead) {
  const before = text.slice(0, span.start);
  const after = text.slice(span.end);
  // Removed: one space where there were two.
  return (instead || !/^[\s.,;:!?)]/.test(after) ? before : before.trimEnd()) + instead + after;
}

// Before `form` is sent: resolves false to send it (as the person chose); true while it asks
// already (a second tap on the form's own Send).
export async function held(form) {
  if (form.querySelector('.pii[tabindex]')) return true;  // not the server's (no JavaScript)
  const fields = [...form.querySelectorAll('[name=title],[name=body]')].filter((f) => f.value.trim());
  const community = (form.elements.community || {}).value || form.dataset.community;
  const list = community && await kept(`name-hashes:${community}`, `/api/v1/communities/${community}/name-hashes`);
  const found = fields.flatMap((field) => find(field.value, list).map((span) => ({ field, span })));
  if (!found.length) return false;
  const language = ((form.elements.language || {}).value || '').split('-')[0];
  const page = document.documentElement.lang.split('-')[0];
  const other = language && language !== page && (language === 'en' ? { messages: {} }
    : await kept(`strings:${language}`, `/i18n/${language}/page.json`));
  const instead = PLACEHOLDER(other ? (id) => other.messages[id] || id : t);
  // The moderation queue's words for them (moderation/redaction.py kind_labels).
  const kinds = { phone: t('Phone number'), email: t('E-mail address'), address: t('Street address'),
    id_number: t('Document number'), name: t('Full name of someone in the community') };
  const box = el('section', { class: 'pii', 'aria-labelledby': 'pii-h', tabindex: -1 },
    el('h2', { id: 'pii-h', text: t('Personal details in your text') }),
    el('p', { text: t('This could help someone find a person. Keep, remove or replace each one.') }));
  const items = el('ol');
  found.forEach(({ span }, n) => {
    const options = el('div', { class: 'pii-options' });
    for (const [value, label] of [['keep', t('Keep')], ['remove', t('Remove')], ['replace', t('Replace')]]) {
      options.append(el('label', { class: 'choice' }, el('input', { type: 'radio', name: `pii-${n}`, value, checked: value === 'replace' }), label));
    }
    const words = el('bdi', { dir: /name|address/.test(span.kind) ? 'auto' : 'ltr', text: span.text });
    items.append(el('li', {}, el('fieldset', {}, el('legend', {}, `${kinds[span.kind]}: `, words), options)));
  });
  const [send, asIs] = [t('Send'), t('Send as it is')].map((text, n) => el('button', { type: 'button', class: n ? null : 'primary', text }));
  box.append(items, el('div', { class: 'pii-actions' }, send, asIs));
  const submit = form.querySelector('[type=submit]');
  if (submit) submit.before(box); else form.append(box);
  box.focus();  // and into view
  return new Promise((resolve) => {
    const done = () => {
      box.remove();
      resolve(false);
    };
    send.onclick = () => {
      // From the last span to the first, so the offsets before each stay right.
      for (let n = found.length; n--;) {
        const { field, span } = found[n];
        const what = box.querySelector(`[name=pii-${n}]:checked`).value;
        if (what !== 'keep') field.value = cut(field.value, span, what === 'replace' ? instead[span.kind] : '');
      }
      fields.forEach((f) => f.dispatchEvent(new Event('input', { bubbles: true })));
      done();
    };
    asIs.onclick = done;
  });
}
