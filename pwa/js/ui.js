// What the person sees of the phone side: the state of each story, banners (offline, update
// ready), and how much space Kultialogo uses. DOM only; data comes from outbox.js.
// Every string goes through t() so it can be extracted into the gettext catalogs.
import { t } from './i18n.js';
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

// --- States -------------------------------------------------------------------------------

const STATUS = {
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
    if (entry.progress && entry.progress.sent < entry.progress.total) {
      return { key: 'sending', label: t('Sending… %(sent)s of %(total)s', {
        sent: formatBytes(entry.progress.sent), total: formatBytes(entry.progress.total) }) };
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

function storyItem(entry, kind) {
  const state = stateOf(entry, kind);
  const title = (kind === 'sent' ? entry.title : entry.data.title) || t('(no title)');
  const item = el('li', { class: `mine-item state-${state.key}`, 'data-id': entry.id, 'data-state': state.key });
  const heading = kind === 'sent'
    ? el('a', { href: `/stories/${entry.id}`, dir: 'auto', class: 'mine-title', text: title })
    : el('span', { dir: 'auto', class: 'mine-title', text: title });
  item.append(heading, el('span', { class: `state state-${state.key}`, text: state.label }));
  if (state.key === 'attention') {
    item.append(el('p', { class: 'reason', text: reasonOf(entry.lastError) }),
      el('a', { class: 'fix', href: `/write#fix=${entry.id}`, text: t('Fix it and send it again') }));
  }
  return item;
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
    const items = [...waiting.map((e) => storyItem(e, 'waiting')), ...sent.slice(0, 10).map((e) => storyItem(e, 'sent'))];
    list.replaceChildren(...items);
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

// --- Storage ------------------------------------------------------------------------------

function formatBytes(bytes) {
  const number = (n) => new Intl.NumberFormat(document.documentElement.lang || 'en', { maximumFractionDigits: 1 }).format(n);
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
