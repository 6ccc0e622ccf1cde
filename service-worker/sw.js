// Kultialogo's service worker, served at /sw.js with scope / (server/pwa.py builds it: the
// precache list and version below are written in, and the import points at the hashed module).
// A module worker: it shares push.js (and what it imports) with the pages, modules with no DOM
// (tests/unit/test_shell.py checks), never a page module.
//
// - Install: precache the shell (hashed CSS and JS, icons, the offline page) with addAll, so a
//   half-downloaded shell never goes live. addAll goes through the HTTP cache: what the page
//   has just loaded (immutable, public, no Vary: Cookie: server/pwa.py, security.py) is not
//   downloaded again; only the files the page did not need are.
// - Activate: delete the older kultialogo-shell-v* caches; leave other caches alone.
// - Fetch: GET only. Shell files cache-first; pages network-first (a slow 2G answer falls back
//   to the saved page after a few seconds) and then the offline page; API calls untouched.
// - Sync: Background Sync pushes the outbox when the browser sees a connection again.
import { pushSoon, SYNC_TAG } from '/static/js/push.js';

const SHELL = '__SHELL_MANIFEST__';
const SHELL_PREFIX = 'kultialogo-shell-v';
const SHELL_CACHE = `${SHELL_PREFIX}${SHELL.version}`;
const PAGES_CACHE = 'kultialogo-pages-v1';     // pages the person opened, for offline reading
const RUNTIME_CACHE = 'kultialogo-runtime-v1'; // other static files and the interface strings
const KEEP = [SHELL_CACHE, PAGES_CACHE, RUNTIME_CACHE];
const OFFLINE_URL = '/offline';
const PAGE_TIMEOUT_MS = 4000;
const PAGES_KEPT = 40;
// Pages worth keeping: the feed's first page, the compose page, stories (and their translation
// form), the activity list, events and their attendance form: a facilitator records a session
// with no signal; the help pages, to ask for help or answer in a thread with no signal (the
// person's own, on their phone; a sign-out empties this cache).
const KEPT_PAGE = /^\/(?:write|activity|stories\/[0-9a-f-]{36}|events\/\d+(?:\/attendance)?|help(?:\/[0-9a-f-]{36})?)?$/;
const PRECACHED = new Set(SHELL.precache);

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    await cache.addAll(SHELL.precache);
    // The very first worker may start at once: there is no older shell to disagree with.
    // Later versions wait until the person accepts the update prompt.
    if (!self.registration.active) await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('kultialogo-') && !KEEP.includes(name)) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// Warms running: no new version takes over while one runs, and on a weak signal a fetch may
// hang for minutes. "Update now" stops them (update.js).
const warming = new Set();

self.addEventListener('message', (event) => {
  const message = event.data || {};
  if (message.type === 'skip-waiting') self.skipWaiting();
  else if (message.type === 'stop-warming') for (const controller of warming) controller.abort();
  else if (message.type === 'warm') {
    const controller = new AbortController();
    warming.add(controller);
    event.waitUntil(warm(message.urls || [], Boolean(message.force), controller.signal)
      .finally(() => warming.delete(controller)));
  }
});

async function warm(urls, force, signal) {
  for (const url of urls) {
    if (signal.aborted) return;
    // Pages in the pages cache; the interface strings (/i18n/<lang>/<bundle>.json) with the static files.
    const strings = url.startsWith('/i18n/');
    const cache = await caches.open(strings ? RUNTIME_CACHE : PAGES_CACHE);
    if (!force && await cache.match(url, { ignoreVary: true })) continue;
    try {
      // The strings the page has just loaded come from the HTTP cache (public, a day); a page
      // is revalidated with its ETag (no-cache), a 304 with no body when the HTTP cache has it.
      const response = await fetch(url, { credentials: 'same-origin', cache: strings ? 'default' : 'no-cache', signal });
      if (response.ok && !response.redirected) await cache.put(url, response);
    } catch (err) {
      return;  // no signal: next time
    }
  }
  if (force) {
    try {
      const response = await fetch(OFFLINE_URL, { credentials: 'same-origin', cache: 'no-cache', signal });
      if (response.ok) await (await caches.open(SHELL_CACHE)).put(OFFLINE_URL, response);
    } catch (err) {
      // keep the offline page we have
    }
  }
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method !== 'GET') {
    // Never answered here. A signed-in state may change (sign in, sign out, language):
    // the saved pages belonged to the old one.
    if (request.mode === 'navigate') event.waitUntil(caches.delete(PAGES_CACHE));
    return;
  }
  if (PRECACHED.has(url.pathname + url.search) && url.pathname !== OFFLINE_URL) {
    event.respondWith(cacheFirst(request, SHELL_CACHE));
  } else if (request.mode === 'navigate') {
    event.respondWith(page(event, url));
  } else if (url.pathname.startsWith('/static/') || url.pathname.startsWith('/i18n/')) {
    event.respondWith(staleWhileRevalidate(event, request));
  }
  // Everything else (the API, media) goes to the network as if there were no worker.
});

async function cacheFirst(request, cacheName) {
  const cached = await caches.match(request, { cacheName, ignoreVary: true });
  return cached || fetch(request);
}

async function staleWhileRevalidate(event, request) {
  const cache = await caches.open(RUNTIME_CACHE);
  const cached = await cache.match(request, { ignoreVary: true });
  const network = fetch(request).then((response) => {
    if (response.ok) event.waitUntil(cache.put(request, response.clone()));
    return response;
  });
  if (cached) {
    event.waitUntil(network.catch(() => null));
    return cached;
  }
  return network;
}

function timeout(ms) {
  return new Promise((resolve) => { setTimeout(() => resolve(null), ms); });
}

// The saved copy's ETag sent along: when nothing changed the server answers 304 with no body
// and the saved copy is the page (the HTTP cache may not keep it: no-store on private pages).
async function fetchPage(event, url, keep) {
  const copy = keep && await caches.match(url.pathname, { cacheName: PAGES_CACHE, ignoreVary: true });
  const etag = copy && copy.headers.get('ETag');
  if (!etag) return fetch(event.request);
  const response = await fetch(new Request(url.pathname, {
    headers: { 'If-None-Match': etag }, credentials: 'same-origin', redirect: 'manual', cache: 'no-store' }));
  if (response.status !== 304) return response;
  SAVED.add(copy);
  return copy;
}
const SAVED = new WeakSet();  // answers that are the saved copy already

async function page(event, url) {
  const keep = KEPT_PAGE.test(url.pathname) && !url.search;
  const network = fetchPage(event, url, keep).then((response) => {
    if (keep && response.ok && !SAVED.has(response) && !response.redirected && response.type === 'basic') {
      const copy = response.clone();
      event.waitUntil(caches.open(PAGES_CACHE).then((cache) => cache.put(url.pathname, copy)).then(trimPages));
    }
    return response;
  });
  const saved = () => caches.match(url.pathname, { cacheName: PAGES_CACHE, ignoreVary: true });
  const first = await Promise.race([network.catch(() => null), timeout(PAGE_TIMEOUT_MS)]);
  if (first) return first;
  // No answer yet (slow signal) or none at all (no signal): the saved copy, if any.
  const cached = await saved();
  if (cached) {
    event.waitUntil(network.catch(() => null));  // still refresh the saved copy
    return cached;
  }
  try {
    return await network;
  } catch (err) {
    return (await caches.match(OFFLINE_URL, { cacheName: SHELL_CACHE, ignoreVary: true })) || Response.error();
  }
}

async function trimPages() {
  const cache = await caches.open(PAGES_CACHE);
  const keys = await cache.keys();
  for (const request of keys.slice(0, Math.max(0, keys.length - PAGES_KEPT))) await cache.delete(request);
}

self.addEventListener('sync', (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(pushSoon().then((outcome) => {
    // Rejecting asks the browser to try again later, with its own backoff.
    if (outcome && outcome.retryLater) throw new Error('outbox not empty yet');
  }));
});

// Web Push (opt-in on /activity): the payload is one neutral line and the link to /activity
// (server/webpush), never story text; a click opens the activity list.
self.addEventListener('push', (event) => {
  let message = {};
  try { message = event.data ? event.data.json() : {}; } catch (err) { message = {}; }
  event.waitUntil(self.registration.showNotification('Kultialogo', {
    body: message.body || '', icon: '/static/icons/icon-192.png', data: { url: '/activity' }, tag: 'activity',
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil((async () => {
    const open = await self.clients.matchAll({ includeUncontrolled: true })  // pages only, by default;
    const here = open.find((client) => new URL(client.url).pathname === '/activity');
    if (here) return here.focus();
    return self.clients.openWindow('/activity');
  })());
});
