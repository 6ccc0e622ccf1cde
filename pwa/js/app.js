// The entry point on every page. It imports only i18n.js statically; the rest loads after
// the first paint, and only what the page needs. Without IndexedDB (or JavaScript) the
// server's pages and forms work on their own.
import { loadStrings } from './i18n.js';

const root = document.documentElement;

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : '';
}

async function main() {
  if (!('indexedDB' in self)) return;
  const user = root.dataset.user || '';
  const [sync] = await Promise.all([import('./sync.js'), loadStrings()]);
  try {
    await sync.setSession({ user, csrf: csrfToken() });
  } catch (err) {
    return;  // IndexedDB refused (private mode, full disk): plain pages and forms
  }
  const [ui, update, db] = await Promise.all([import('./ui.js'), import('./update.js'), import('./db.js')]);
  const main = document.getElementById('main');
  const offlinePage = Boolean(document.querySelector('[data-offline]'));
  const form = document.getElementById('compose');
  let composer = null;

  const pushNow = () => {
    sync.pushSoon();
    sync.requestBackgroundSync();
  };

  if (form && user) {
    const compose = await import('./compose.js');
    composer = await compose.enhance(form, { owner: user, onQueued: pushNow });
  }
  if (user && (form || main.querySelector('#feed, .empty, .intro, [data-offline]') || location.pathname === '/')) {
    const anchor = main.querySelector('h1');
    const holder = document.createElement('div');
    if (anchor) anchor.after(holder); else main.prepend(holder);
    ui.mountMyStories(holder, user);
  }
  if (location.pathname === '/' || offlinePage) {
    const feed = await import('./feed.js');
    await feed.enhanceFeed({ offlinePage, networkState: sync.networkState, onNetwork: sync.onNetwork });
  }

  const registration = await update.registerWorker({
    beforeReload: async () => { if (composer) await composer.save(); },
    onReady: async () => {
      // Keep the pages a person needs without signal; again when who or which language changes.
      if (navigator.onLine === false) return;
      const key = `${user}|${root.lang}`;
      const force = (await db.getMeta('warmed')) !== key;
      await update.warmPages(user ? ['/', '/write'] : ['/'], force);
      await db.setMeta('warmed', key);
    },
  });
  void registration;
  sync.startAutoSync();
}

main();
