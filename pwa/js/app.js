// The entry point on every page. It imports only i18n.js statically; the rest loads after
// the first paint, and only what the page needs. Without IndexedDB (or JavaScript) the
// server's pages and forms work on their own.
import { loadStrings, stringsUrl, t } from './i18n.js';

const root = document.documentElement;

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : '';
}

async function main() {
  // Speaker buttons and "Hear the buttons" (issue #8): only where the browser can speak.
  if (self.speechSynthesis) import('./speak.js').then((speak) => speak.mountSpeech());
  const upload = document.querySelector('form[data-upload-progress]');
  if (upload) import('./upload-progress.js').then((module) => module.enhance(upload));
  // Moderation: drag a box on a story's photo to blur it (#17); a click works without this.
  const faces = document.querySelectorAll('form.faces-click');
  if (faces.length) import('./draw-boxes.js').then((module) => faces.forEach(module.mount));
  if (!('indexedDB' in self)) return;
  const user = root.dataset.user || '';
  const content = document.getElementById('main');
  const offlinePage = Boolean(document.querySelector('[data-offline]'));
  const form = document.getElementById('compose');
  const onFeed = location.pathname === '/' || offlinePage;
  const writing = Boolean(form && user);
  // Forms of the other record kinds (a translation, an event's attendance), kept on the phone too.
  const recordForms = user ? [...document.querySelectorAll('form[data-outbox-kind]')] : [];
  // The page's own strings only (server/i18n CLIENT_BUNDLES lists each bundle's modules).
  const bundle = writing ? 'write' : onFeed ? 'feed' : 'page';
  // Every module this page needs, fetched at once rather than one import after another.
  const [sync, ui, update, db, compose, feed, voice, forms] = await Promise.all([
    import('./triggers.js'), import('./ui.js'), import('./update.js'), import('./db.js'),
    writing ? import('./compose.js') : null, onFeed ? import('./feed.js') : null,
    writing ? import('./voice.js') : null, recordForms.length ? import('./forms.js') : null, loadStrings(bundle)]);
  try {
    await sync.setSession({ user, csrf: csrfToken() });
  } catch (err) {
    return;  // IndexedDB refused (private mode, full disk): plain pages and forms
  }
  let composer = null;

  const pushNow = sync.pushNow;

  for (const recordForm of recordForms) {
    forms.enhance(recordForm, { owner: user, onQueued: pushNow, onNetwork: sync.onNetwork, networkState: sync.networkState });
  }
  if (compose) {
    composer = await compose.enhance(form, { owner: user, onQueued: pushNow });
    if (composer && voice) voice.mount(form, { owner: user });
  }
  if (user && (form || content.querySelector('#feed, .empty, .intro, [data-offline]') || location.pathname === '/')) {
    const anchor = content.querySelector('h1');
    const holder = document.createElement('div');
    if (anchor) anchor.after(holder); else content.prepend(holder);
    ui.mountMyStories(holder, user);
  }
  // /activity: what the pull brought since the page was saved, and the opt-in for notifications.
  const activity = document.getElementById('activity');
  if (activity && user) import('./activity.js').then((module) => module.mount(activity));
  const optin = document.getElementById('push-optin');
  if (optin && user) import('./push-optin.js').then((module) => module.mount(optin, csrfToken()));
  if (feed) {
    await feed.enhanceFeed({ offlinePage, networkState: sync.networkState, onNetwork: sync.onNetwork });
  } else if (form) {
    // Writing with no signal is normal: say so before the person starts, not after.
    ui.offlineBanner(t('No signal. Stories you send now are kept on this phone and sent later.'),
      sync.onNetwork, sync.networkState());
  }

  await update.registerWorker({
    beforeReload: async () => { if (composer) await composer.save(); },
    onReady: async () => {
      // Keep the pages a person needs without signal; again when who or which language changes.
      if (navigator.onLine === false) return;
      const key = `${user}|${root.lang}`;
      const before = await db.getMeta('warmed');
      // Again only when who or the language changed since the last time: on the first visit the
      // worker's install has just fetched the offline page as it is now.
      const force = before !== undefined && before !== key;
      const pages = user ? ['/', '/write', '/activity'] : ['/'];
      // And their strings: the feed's (also the offline page's), the write page's, this page's.
      const bundles = new Set(['feed', bundle]);
      if (user) bundles.add('write');
      if (user && typeof MediaRecorder === 'function') bundles.add('recorder');
      for (const name of bundles) if (stringsUrl(name)) pages.push(stringsUrl(name));
      await update.warmPages(pages, force);
      await db.setMeta('warmed', key);
    },
  });
  sync.startAutoSync();
}

// After the page has painted and loaded: nothing here is needed to read it.
function whenIdle() {
  if ('requestIdleCallback' in self) requestIdleCallback(() => main(), { timeout: 2000 });
  else setTimeout(main, 0);
}
if (document.readyState === 'complete') whenIdle();
else addEventListener('load', whenIdle, { once: true });
