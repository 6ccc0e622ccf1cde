// What the person sees of the phone side: the state of each story, banners (offline, update
// ready), and how much space Kultialogo uses. DOM only; data comes from outbox.js.
// Every string goes through t() so it can be extracted into the gettext catalogs.
import { numberFormat, t } from './i18n.js';
import * as outbox from './outbox.js';

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}
export { el };

// An icon from the page's SVG sprite (templates/_icons.html), decorative: the text beside it names the control.
const FLIP = new Set(['send', 'next', 'again']);
export function icon(name) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', FLIP.has(name) ? 'icon icon-flip' : 'icon');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const use = document.createElementNS('http://www.w3.org/2000/svg', 'use');
  use.setAttribute('href', `#i-${name}`);
  svg.append(use);
  return svg;
}

// A button with an icon and its words: {button, label} (label is the <span> to change later).
export function iconButton(name, text, attrs = {}) {
  const label = el('span', { text });
  return { button: el('button', { type: 'button', 'data-icon': name, ...attrs }, icon(name), label), label };
}

// --- States -------------------------------------------------------------------------------

// A story's status in the author's "sent" list; feed.js's badges name them the same (bar pending).
export const STATUS = {
  pending: () => t('Sent — waiting for review'),
  published: () => t('Published'),
  rejected: () => t('Not published'),
  hidden: () => t('Hidden'),
  withdrawn: () => t('Withdrawn'),
};

// The state of an outbox item ("waiting") or an acknowledged story ("sent"): {key, label}.
export function stateOf(entry, kind, now = Date.now()) {
  if (kind === 'sent') {
    const label = STATUS[entry.status] ? STATUS[entry.status]() : t('Sent');
    return { key: entry.status === 'published' ? 'published' : (entry.status === 'pending' ? 'review' : 'closed'), label };
  }
  if (entry.state === 'attention') return { key: 'attention', label: t('Needs your attention') };
  if (entry.state === 'signin') return { key: 'signin', label: t('Saved on this phone — sign in to send it') };
  if (entry.state === 'sending' && entry.sendingUntil > now && navigator.onLine !== false) {
    const files = filesOf(entry);
    const sent = files.reduce((n, f) => n + f.sent, 0);
    const total = files.reduce((n, f) => n + f.total, 0);
    if (files.length && sent < total) {
      return { key: 'sending', label: t('Sending… %(sent)s of %(total)s', {
        sent: formatBytes(sent), total: formatBytes(total) }) };
    }
    return { key: 'sending', label: t('Sending…') };
  }
  if (entry.attempts > 0) return { key: 'saved', label: t('Saved on this phone — it will be sent when there is signal') };
  return { key: 'saved', label: t('Saved on this phone') };
}

// Why the server refused a story, in the person's language: the server's own message (it
// localises by the session's language) or ours for the codes the client handles itself.
export function reasonOf(error) {
  if (!error) return '';
  if (error.code === 'conflict') return t('This story was changed elsewhere. Send it again to keep your version.');
  if (error.code === 'media_missing') return t('Some photos or recordings have not arrived yet.');
  if (error.code === 'media_lost') return t('A photo or recording of this story is no longer on this phone. Add it again or send the story without it.');
  if (error.message) return error.message;
  return t('The server could not accept this story. Please check it and send it again.');
}

// The upload progress of each file of a waiting story, in the story's order:
// [{sha256, sent, total, type}] (files not started yet are left out).
function filesOf(entry) {
  const progress = entry.progress || {};
  return ((entry.data && entry.data.media) || [])
    .map((sha256) => ({ sha256, ...progress[sha256] }))
    .filter((f) => typeof f.total === 'number' && f.total > 0);
}

function fileLabel(file) {
  const sizes = { sent: formatBytes(file.sent), total: formatBytes(file.total) };
  return (file.type || '').startsWith('audio/')
    ? t('Recording: %(sent)s of %(total)s sent', sizes)
    : t('Photo: %(sent)s of %(total)s sent', sizes);
}

// One bar per file while a story is being sent, named by its text for screen readers.
function fileBars(entry) {
  const list = el('ul', { class: 'file-progress' });
  for (const file of filesOf(entry)) {
    const id = `progress-${entry.id}-${file.sha256.slice(0, 12)}`;
    list.append(el('li', { 'data-sha': file.sha256 },
      el('span', { id, text: fileLabel(file) }),
      el('progress', { max: file.total, value: file.sent, 'aria-labelledby': id })));
  }
  return list;
}

function storyItem(entry, kind) {
  const state = stateOf(entry, kind);
  const title = (kind === 'sent' ? entry.title : entry.data.title) || t('(no title)');
  const reason = state.key === 'attention' ? reasonOf(entry.lastError)
    : (kind === 'sent' && ['rejected', 'hidden'].includes(entry.status) ? entry.reason || '' : '');
  const note = kind === 'sent' && reason ? entry.note || '' : '';
  // What the item says apart from progress: same signature, same node (see mountMyStories).
  const item = el('li', { class: `mine-item state-${state.key}`, 'data-id': entry.id, 'data-state': state.key,
    'data-sig': JSON.stringify([kind, state.key, title, reason, note]) });
  const heading = kind === 'sent'
    ? el('a', { href: `/stories/${entry.id}`, dir: 'auto', class: 'mine-title', text: title })
    : el('span', { dir: 'auto', class: 'mine-title', text: title });
  item.append(heading, el('span', { class: `state state-${state.key}`, text: state.label }));
  if (state.key === 'sending' && filesOf(entry).length) item.append(fileBars(entry));
  if (kind === 'sent' && reason) {  // the facilitator's decision, explained to the author
    item.append(el('p', { class: 'reason', text: reason }));
    if (note) item.append(el('p', { class: 'reason-note', dir: 'auto', text: t('Note from the facilitator:') + ' ' + note }));
  }
  if (state.key === 'attention') {
    item.append(el('p', { class: 'reason', text: reason }),
      el('a', { class: 'fix', href: `/write#fix=${entry.id}`, text: t('Fix it and send it again') }));
  }
  return item;
}

// Bring an item already on screen up to date in place (its words and its bars), so that the
// polite live region announces what changed, not the whole list again.
function refresh(current, fresh) {
  const state = current.querySelector('.state');
  const label = fresh.querySelector('.state').textContent;
  if (state.textContent !== label) state.textContent = label;
  const bars = current.querySelector('.file-progress');
  const freshBars = fresh.querySelector('.file-progress');
  const shas = (list) => (list ? [...list.children].map((li) => li.dataset.sha).join() : '');
  if (shas(bars) !== shas(freshBars)) {
    if (bars) bars.remove();
    if (freshBars) current.querySelector('.state').after(freshBars);
    return;
  }
  if (!bars) return;
  [...freshBars.children].forEach((li, i) => {
    const target = bars.children[i];
    const [text, bar] = [target.querySelector('span'), target.querySelector('progress')];
    const [freshText, freshBar] = [li.querySelector('span'), li.querySelector('progress')];
    if (text.textContent !== freshText.textContent) text.textContent = freshText.textContent;
    bar.max = freshBar.max;
    bar.value = freshBar.value;
  });
}

// A live list of this person's stories on the phone, kept up to date across tabs.
export function mountMyStories(container, owner) {
  const section = el('section', { class: 'mine', 'aria-labelledby': 'mine-h', hidden: true },
    el('h2', { id: 'mine-h', text: t('Your stories on this phone') }));
  const list = el('ul', { class: 'mine-list', 'aria-live': 'polite' });
  const storage = el('p', { class: 'storage' });
  section.append(list, storage);
  container.append(section);
  const render = async () => {
    const { waiting, sent } = await outbox.list(owner);
    const fresh = [...waiting.map((e) => storyItem(e, 'waiting')), ...sent.slice(0, 10).map((e) => storyItem(e, 'sent'))];
    const shown = new Map([...list.children].map((li) => [li.dataset.id, li]));
    const items = fresh.map((item) => {
      const current = shown.get(item.dataset.id);
      if (!current || current.dataset.sig !== item.dataset.sig) return item;
      refresh(current, item);
      return current;
    });
    if (items.length !== list.children.length || items.some((item, i) => list.children[i] !== item)) {
      list.replaceChildren(...items);
    }
    section.hidden = items.length === 0;
    if (items.length) showStorage(storage);
  };
  outbox.onChange(render);
  // "Sending…" expires on its own when a tab died mid-push; redraw now and then.
  setInterval(render, 30 * 1000);
  render();
  return { section, render };
}

// --- Banners ------------------------------------------------------------------------------

// Banners sit at the top of the page; toasts float at the bottom of the screen, over the
// content, so that news arriving after the page is drawn (update ready) moves nothing.
function bannerHost(toast) {
  const id = toast ? 'toasts' : 'banners';
  let host = document.getElementById(id);
  if (!host) {
    host = el('div', { id, class: id });
    if (toast) document.body.append(host);
    else (document.getElementById('main') || document.body).prepend(host);
  }
  return host;
}

// One banner per key; showing it again replaces its text. action: {label, run}.
export function showBanner(key, text, { action = null, dismiss = false, role = 'status', toast = false } = {}) {
  const host = bannerHost(toast);
  let banner = host.querySelector(`[data-banner="${key}"]`);
  if (!banner) {
    banner = el('div', { class: `banner banner-${key}`, 'data-banner': key, role });
    host.append(banner);
  }
  const children = [el('p', { text })];
  if (action) {
    const button = el('button', { type: 'button', class: 'primary', text: action.label });
    button.addEventListener('click', () => action.run(button));
    children.push(button);
  }
  if (dismiss) {
    const close = el('button', { type: 'button', class: 'link', text: t('Close') });
    close.addEventListener('click', () => hideBanner(key));
    children.push(close);
  }
  banner.replaceChildren(...children);
  return banner;
}

export function hideBanner(key) {
  const banner = document.querySelector(`[data-banner="${key}"]`);
  if (banner) banner.remove();
}

// The "offline" banner, saying `text`, while there is no signal: checked now for the network
// state `initial`, then whenever the sync (`onNetwork`, net.js) or the browser (its offline and
// online events) sees a change; either one saying "offline" is enough. whenOffline(), if given,
// runs each time the banner is shown (feed.js: the stories saved on this phone). Resolves once
// the first check is done.
export async function offlineBanner(text, onNetwork, initial, whenOffline) {
  const check = async (state) => {
    if (state === 'offline' || navigator.onLine === false) {
      showBanner('offline', text);
      if (whenOffline) await whenOffline();
    } else {
      hideBanner('offline');
    }
  };
  onNetwork(check);
  addEventListener('offline', () => check('offline'));
  addEventListener('online', () => check('online'));
  await check(initial);
}

// --- Storage ------------------------------------------------------------------------------

export function formatBytes(bytes) {
  const number = (n) => numberFormat({ maximumFractionDigits: 1 }).format(n);
  if (bytes >= 1024 * 1024) return t('%(n)s MB', { n: number(bytes / (1024 * 1024)) });
  if (bytes >= 1024) return t('%(n)s KB', { n: number(bytes / 1024) });
  return t('%(n)s bytes', { n: number(bytes) });
}

export async function showStorage(target) {
  if (!navigator.storage || !navigator.storage.estimate) return;
  try {
    const [{ usage = 0 }, persisted] = await Promise.all([
      navigator.storage.estimate(),
      navigator.storage.persisted ? navigator.storage.persisted() : Promise.resolve(false)]);
    const used = t('Kultialogo uses %(size)s on this phone.', { size: formatBytes(usage) });
    const kept = persisted
      ? t('Your stories are kept even when the phone runs low on space.')
      : t('If the phone runs out of space it may delete saved stories; send them when you can.');
    target.textContent = `${used} ${kept}`;
  } catch (err) {
    target.textContent = '';
  }
}

// Ask the browser to keep our data when space runs low (no prompt in Chromium; it decides).
export async function askToKeepData() {
  if (!navigator.storage || !navigator.storage.persist) return false;
  try {
    return (await navigator.storage.persisted()) || (await navigator.storage.persist());
  } catch (err) {
    return false;
  }
}
