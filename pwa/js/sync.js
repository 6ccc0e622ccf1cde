// The sync loop: pushes the outbox in batches and pulls the feed, following the contract
// (shared/specs/sync.md). Policy only: queue operations are outbox.js, storage is db.js.
// Runs in pages and in the service worker (Background Sync); only startAutoSync touches the
// page. One push loop and one pull at a time across tabs and the worker (navigator.locks);
// where locks are missing (plain http on a camp's Wi-Fi) idempotency covers the overlap.
import * as db from './db.js';
import * as outbox from './outbox.js';

const PUSH_URL = '/api/v1/sync/push';
const PULL_URL = '/api/v1/sync/pull';
const LIMITS_URL = '/api/v1/limits';
const UPLOADS_URL = '/api/v1/media/uploads';
const TUS = '1.0.0';
const COMMUNITIES_URL = '/api/v1/communities';
const FIRST_DELAY = 1000;           // backoff: about 1 s, doubling ...
const MAX_DELAY = 5 * 60 * 1000;    // ... up to 5 min
const TIMEOUT = 60 * 1000;          // one request on 2G may be slow, but not forever
const TICK = 60 * 1000;             // the timer while a page is open
const PULL_EVERY = 30 * 1000;
const PULL_AFTER_LOAD = 3000;       // ms after the page's first push
const PULL_PAGES = 20;              // per run; the next run resumes from the saved cursor
const GZIP_FROM = 600;              // bytes: below this gzip saves less than it costs
export const SYNC_TAG = 'kultialogo-outbox';

// Delay before attempt number `attempts + 1`, with "equal jitter": half fixed, half random,
// so phones that lost signal together do not all come back in the same second.
export function backoff(attempts, random = Math.random) {
  const ceiling = Math.min(MAX_DELAY, FIRST_DELAY * 2 ** Math.max(0, attempts - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

function locked(name, options, fn) {
  const locks = self.navigator && self.navigator.locks;
  if (locks) return locks.request(name, options, fn);
  return fn(true);
}

// --- Session: who is signed in, and the CSRF token the API wants on a POST ----------------
// Pages write it on every load; the service worker reads it (it has no DOM to read it from).

export async function setSession(session) {
  const before = await db.getMeta('session');
  if (before && before.user !== session.user) {
    // Someone else on this phone now (a shared phone at a camp): the stories the last person
    // could read are not theirs to see, not even offline. Outbox, drafts and sent records are
    // kept per person and stay.
    await db.batch({ stories: { clear: true },
      meta: { put: [{ key: 'session', value: session }, { key: 'feed', value: { scope: session.user, cursor: null, at: 0 } }] } });
    return;
  }
  await db.setMeta('session', session);
}

export async function getSession() {
  return (await db.getMeta('session')) || { user: '', csrf: '' };
}

// A fresh token (and who we are) from the server, when the one we hold was refused.
async function refreshSession() {
  const response = await fetchWithTimeout('/offline?session=1', { credentials: 'same-origin', cache: 'no-store' });
  const html = await response.text();
  const csrf = /<meta name="csrf-token" content="([^"]*)"/.exec(html);
  const user = /data-user="([^"]*)"/.exec(html);
  const session = { user: user ? user[1] : '', csrf: csrf ? csrf[1] : '' };
  await setSession(session);
  return session;
}

async function fetchWithTimeout(url, init = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT);
  try {
    return await fetch(url, { ...init, signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

// The server's limits (GET /api/v1/limits), remembered for a day; null when unknown.
async function getLimits() {
  const known = await db.getMeta('limits');
  if (known && Date.now() - known.at < 24 * 3600 * 1000) return known.limits;
  try {
    const response = await fetchWithTimeout(LIMITS_URL, { credentials: 'same-origin' });
    if (response.ok) {
      const limits = await response.json();
      await db.setMeta('limits', { limits, at: Date.now() });
      return limits;
    }
  } catch (err) {
    // Offline: the push below fails the same way and backs off.
  }
  return known ? known.limits : null;
}

// --- Listeners: pages show "offline" and refresh their lists ------------------------------

const statusListeners = new Set();
let network = 'unknown';

export function onNetwork(fn) {
  statusListeners.add(fn);
  return () => statusListeners.delete(fn);
}

export function networkState() {
  return network;
}

function setNetwork(state) {
  if (state === network) return;
  network = state;
  for (const fn of statusListeners) fn(state);
}

// --- Push ---------------------------------------------------------------------------------

function wire(item) {
  return { type: 'story', op: item.op, id: item.id, base_etag: item.base_etag, data: item.data };
}

const encoder = new TextEncoder();

// As many due items as the limits allow, in order. Without known limits, one at a time.
function takeBatch(items, limits, cap) {
  const maxItems = Math.min(cap, limits ? limits.push.max_items : 1);
  const maxBytes = limits ? limits.push.max_bytes : Infinity;
  const batch = [];
  let bytes = 12;  // {"items":[]}
  for (const item of items) {
    const size = encoder.encode(JSON.stringify(wire(item))).length + 1;
    if (batch.length && (batch.length >= maxItems || bytes + size > maxBytes)) break;
    batch.push(item);
    bytes += size;
  }
  return batch;
}

async function gzipped(text) {
  if (typeof CompressionStream !== 'function' || text.length < GZIP_FROM) return null;
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Response(stream).arrayBuffer();
}

async function post(text, csrf) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrf };
  let body = text;
  const packed = await gzipped(text);
  if (packed) {
    body = packed;
    headers['Content-Encoding'] = 'gzip';
  }
  return fetchWithTimeout(PUSH_URL, { method: 'POST', credentials: 'same-origin', headers, body });
}

async function problemOf(response) {
  try {
    const body = await response.json();
    if (body && typeof body.code === 'string') {
      return { code: body.code, message: body.message || '', field: body.field || null, status: response.status };
    }
  } catch (err) {
    // Not JSON (a proxy's error page): the status alone says enough.
  }
  return { code: `http_${response.status}`, message: '', field: null, status: response.status };
}

function retryAfterMs(response) {
  const value = response.headers.get('Retry-After');
  if (!value) return 0;
  const seconds = Number(value);
  if (!Number.isNaN(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? 0 : Math.max(0, date - Date.now());
}

// Send one batch. Returns 'ok' (go on), 'split' (send smaller batches), 'retry' (stop: the
// network or the server is not well; the items wait for their next attempt) or 'stop'.
async function pushBatch(batch, state) {
  const ids = batch.map((item) => item.id);
  const revs = await outbox.markSending(ids);
  const text = JSON.stringify({ items: batch.map(wire) });
  let response;
  try {
    response = await post(text, state.session.csrf);
    if (response.status === 403 && !state.refreshed) {
      const problem = await problemOf(response.clone());
      if (problem.code === 'csrf_failed') {
        state.refreshed = true;
        state.session = await refreshSession();
        if (!state.session.user) {
          await outbox.waitForSignIn(ids, problem);
          return 'stop';
        }
        response = await post(text, state.session.csrf);
      }
    }
  } catch (err) {
    setNetwork('offline');
    await outbox.retryLater(ids, (attempts) => Date.now() + backoff(attempts), { code: 'network', message: '' });
    return 'retry';
  }
  setNetwork('online');
  if (response.status === 200) {
    let body = null;
    try { body = await response.json(); } catch (err) { body = null; }
    if (!body || !Array.isArray(body.results) || body.results.length !== batch.length) {
      await outbox.retryLater(ids, (attempts) => Date.now() + backoff(attempts), { code: 'bad_response', message: '' });
      return 'retry';
    }
    // Results come in the order of the items (contract), whatever their ids say.
    for (let i = 0; i < batch.length; i += 1) {
      const item = batch[i];
      const result = body.results[i];
      if (['created', 'unchanged', 'updated'].includes(result.result)) {
        await outbox.acknowledge(item.id, revs[item.id], result.story);
      } else if (result.result === 'conflict') {
        // The server kept both texts. Sending again on top of its version keeps ours.
        await outbox.needsAttention(item.id, { code: 'conflict', message: '', field: null,
          serverEtag: result.story ? result.story.etag : null });
      } else if (result.result === 'media_missing') {
        // The server lost or expired a file we thought was up: upload it again, once.
        const missing = result.missing_media || [];
        const again = [];
        for (const sha256 of missing) {
          const record = await outbox.getMedia(sha256);
          if (record) { again.push(sha256); await outbox.saveMedia({ ...record, done: false, url: null }); }
        }
        if (again.length === missing.length && item.attempts < 3) {
          await outbox.retryLater([item.id], (attempts) => Date.now() + backoff(attempts), { code: 'media_missing', message: '' });
        } else {
          await outbox.needsAttention(item.id, { code: 'media_missing', message: '', field: null, missing });
        }
      } else {
        const error = result.error || {};
        await outbox.needsAttention(item.id, { code: error.code || 'rejected', message: error.message || '',
          field: error.field || null, status: 200 });
      }
    }
    return 'ok';
  }
  const problem = await problemOf(response);
  if (response.status === 429 || response.status >= 500) {
    const wait = retryAfterMs(response);
    await outbox.retryLater(ids, (attempts) => Date.now() + Math.max(wait, backoff(attempts)), problem);
    return 'retry';
  }
  if (response.status === 401) {
    await outbox.waitForSignIn(ids, problem);
    return 'stop';
  }
  if (batch.length > 1) {
    // 400 or 413 for the whole batch: send one by one to find the item at fault.
    await outbox.retryLater(ids, () => 0, null);
    return 'split';
  }
  await outbox.needsAttention(ids[0], problem);
  return 'ok';
}

// --- Media: tus 1.0 uploads before the story that refers to them ---------------------------

class UploadError extends Error {
  constructor(kind, problem) {
    super(kind);
    this.kind = kind;        // 'network' | 'retry' (5xx, 429) | 'signin' | 'refused' (4xx)
    this.problem = problem;
  }
}

function b64(text) {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

async function tus(url, method, state, headers = {}, body = undefined) {
  let response;
  try {
    response = await fetchWithTimeout(url, { method, body, credentials: 'same-origin',
      headers: { 'Tus-Resumable': TUS, 'X-CSRF-Token': state.session.csrf, ...headers } });
  } catch (err) {
    throw new UploadError('network', { code: 'network', message: '' });
  }
  if (response.status === 401) throw new UploadError('signin', await problemOf(response));
  if (response.status === 429 || response.status >= 500) throw new UploadError('retry', await problemOf(response));
  return response;
}

// Upload one file (resuming where it stopped); resolves when the server has all of it.
async function uploadOne(sha256, item, state, chunk) {
  const record = await outbox.getMedia(sha256);
  if (!record) throw new UploadError('refused', { code: 'media_lost', message: '' });
  if (record.done) return;
  let offset = 0;
  if (record.url) {
    const head = await tus(record.url, 'HEAD', state);
    if (head.ok) offset = Number(head.headers.get('Upload-Offset')) || 0;
    else record.url = null;  // expired or gone: start again
  }
  if (!record.url) {
    const meta = `sha256 ${b64(record.sha256)},type ${b64(record.type)},filename ${b64(record.name)}`;
    const created = await tus(UPLOADS_URL, 'POST', state, { 'Upload-Length': String(record.size), 'Upload-Metadata': meta });
    if (created.status === 200) {  // the server has this file already
      await outbox.saveMedia({ ...record, done: true });
      await outbox.progress(item.id, sha256, record.size, record.size, record.type);
      return;
    }
    if (created.status !== 201) throw new UploadError('refused', await problemOf(created));
    record.url = created.headers.get('Location');
    await outbox.saveMedia(record);
  }
  await outbox.progress(item.id, sha256, offset, record.size, record.type);
  while (offset < record.size) {
    const part = record.data.slice(offset, offset + chunk);
    const sent = await tus(record.url, 'PATCH', state,
      { 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' }, part);
    if (sent.status === 409) {  // our offset was stale: ask the server where it stands
      const head = await tus(record.url, 'HEAD', state);
      offset = Number(head.headers.get('Upload-Offset')) || 0;
      continue;
    }
    if (sent.status !== 204) throw new UploadError('refused', await problemOf(sent));
    offset = Number(sent.headers.get('Upload-Offset')) || offset + part.byteLength;
    await outbox.progress(item.id, sha256, offset, record.size, record.type);
  }
  await outbox.saveMedia({ ...record, done: true });
}

// Upload what the item refers to. 'ok', or how the push loop should go on.
async function uploadMedia(item, state, limits) {
  const chunk = (limits && limits.media && limits.media.chunk_bytes) || 256 * 1024;
  await outbox.markSending([item.id]);
  try {
    for (const sha256 of item.data.media) await uploadOne(sha256, item, state, chunk);
    return 'ok';
  } catch (err) {
    if (!(err instanceof UploadError)) throw err;
    if (err.kind === 'network' || err.kind === 'retry') {
      if (err.kind === 'network') setNetwork('offline');
      await outbox.retryLater([item.id], (attempts) => Date.now() + backoff(attempts), err.problem);
      return 'retry';
    }
    if (err.kind === 'signin') {
      await outbox.waitForSignIn([item.id], err.problem);
      return 'stop';
    }
    await outbox.needsAttention(item.id, err.problem);
    return 'next';
  }
}

async function mediaPending(item) {
  for (const sha256 of item.data.media || []) {
    const record = await outbox.getMedia(sha256);
    if (!record || !record.done) return true;
  }
  return false;
}

async function pushDue() {
  const state = { session: await getSession(), refreshed: false };
  if (!state.session.user) return { retryLater: false, pushed: 0 };
  // The browser knows there is no network at all: leave the items as they are ("saved on
  // this phone"); `online` wakes us. (onLine true proves nothing, so then we just try.)
  if (self.navigator && self.navigator.onLine === false) return { retryLater: true, pushed: 0 };
  let cap = Infinity;
  let pushed = 0;
  let limits;
  for (let round = 0; round < 1000; round += 1) {
    const items = await outbox.due(state.session.user);
    if (!items.length) return { retryLater: false, pushed };
    if (limits === undefined) limits = await getLimits();
    const first = items[0];
    if (await mediaPending(first)) {
      const outcome = await uploadMedia(first, state, limits);
      if (outcome === 'retry') return { retryLater: true, pushed };
      if (outcome === 'stop') return { retryLater: false, pushed };
      if (outcome === 'next') continue;
    }
    const ready = [];
    for (const item of items) {
      if (ready.length && (await mediaPending(item))) break;  // its files go up first, next round
      ready.push(item);
    }
    const batch = takeBatch(ready, limits, cap);
    const outcome = await pushBatch(batch, state);
    if (outcome === 'retry') return { retryLater: true, pushed };
    if (outcome === 'stop') return { retryLater: false, pushed };
    if (outcome === 'split') cap = 1;
    else pushed += batch.length;
  }
  return { retryLater: true, pushed };
}

// Push whatever is due. Calls made while a push runs in this context fold into one more
// round after it; other contexts wait for the lock (never skipped, so nothing is stranded).
let pushing = null;
let pushAgain = false;

export function pushSoon() {
  if (pushing) {
    pushAgain = true;
    return pushing;
  }
  pushing = (async () => {
    let outcome;
    do {
      pushAgain = false;
      outcome = await locked('kultialogo-push', {}, () => pushDue());
    } while (pushAgain);
    return outcome;
  })().finally(() => { pushing = null; });
  return pushing;
}

// --- Pull ---------------------------------------------------------------------------------

async function refreshCommunities() {
  const known = await db.getMeta('communities');
  const lang = (self.document && document.documentElement.lang) || (known && known.lang) || 'en';
  if (known && known.lang === lang && Date.now() - known.at < 24 * 3600 * 1000) return;
  const response = await fetchWithTimeout(COMMUNITIES_URL, { credentials: 'same-origin' });
  if (!response.ok) return;
  const names = {};
  for (const c of await response.json()) names[c.slug] = c.name;
  await db.setMeta('communities', { names, lang, at: Date.now() });
}

// The media of stories this phone holds (sha256s), read before a tombstone deletes them.
async function mediaOf(ids) {
  const found = [];
  for (const id of ids) {
    const story = await db.get('stories', id);
    if (story && Array.isArray(story.media)) found.push(...story.media);
  }
  return found;
}

// A withdrawn story must not stay on the phone anywhere: its saved page (the worker keeps up to
// 40 and shows them on slow signal) and its media, in every cache of ours (pages and worker).
async function forgetCached(ids, media) {
  if (!ids.length || typeof caches === 'undefined') return;
  const urls = [...ids.map((id) => `/stories/${id}`), ...media.map((sha) => `/media/${sha}`)];
  for (const name of await caches.keys()) {
    if (!name.startsWith('kultialogo-')) continue;
    const cache = await caches.open(name);
    for (const url of urls) await cache.delete(url, { ignoreVary: true, ignoreSearch: true });
  }
}

// Bring the stories cache up to date from the saved cursor. Tombstones delete. Resolves with
// {ok: true} or {ok: false, offline}.
export async function pull({ force = false } = {}) {
  return locked('kultialogo-pull', { ifAvailable: true }, async (lock) => {
    if (!lock) return { ok: true, skipped: true };  // another tab or the worker is pulling
    const session = await getSession();
    const scope = session.user || '';
    let feed = await db.getMeta('feed');
    if (!feed || feed.scope !== scope) {
      // Someone else signed in on this phone: their feed is not this person's.
      feed = { scope, cursor: null, at: 0 };
      await db.batch({ stories: { clear: true }, meta: { put: [{ key: 'feed', value: feed }] } });
    }
    if (!force && Date.now() - feed.at < PULL_EVERY) return { ok: true, skipped: true };
    try {
      for (let page = 0; page < PULL_PAGES; page += 1) {
        const query = feed.cursor ? `?cursor=${encodeURIComponent(feed.cursor)}` : '';
        const response = await fetchWithTimeout(PULL_URL + query, { credentials: 'same-origin' });
        if (!response.ok) return { ok: false, offline: false, status: response.status };
        const body = await response.json();
        const gone = body.items.filter((s) => s.deleted).map((s) => s.id);
        const stories = body.items.filter((s) => !s.deleted);
        feed = { scope, cursor: body.cursor, at: Date.now() };
        const goneMedia = await mediaOf(gone);
        await db.batch({ stories: { put: stories, delete: gone }, meta: { put: [{ key: 'feed', value: feed }] } });
        await forgetCached(gone, goneMedia);
        await outbox.noteStatuses(body.items);
        if (!body.more) break;
      }
      setNetwork('online');
      await refreshCommunities();
      return { ok: true };
    } catch (err) {
      if (err instanceof TypeError || (err && err.name === 'AbortError')) {
        setNetwork('offline');
        return { ok: false, offline: true };
      }
      throw err;
    }
  });
}

// --- Triggers (pages) ---------------------------------------------------------------------

// Ask the browser to run the worker's sync when the connection is back (Chromium only).
export async function requestBackgroundSync() {
  if (!('serviceWorker' in navigator) || typeof SyncManager === 'undefined') return;
  try {
    const registration = await navigator.serviceWorker.getRegistration();
    if (registration && registration.sync) await registration.sync.register(SYNC_TAG);
  } catch (err) {
    // Background Sync refused (permissions, private mode): the page's own triggers remain.
  }
}

// Push, then pull: on load, on `online`, when the page becomes visible, and on a timer that
// also wakes up for the next item due after a backoff.
export function startAutoSync() {
  let timer = null;
  const schedule = async () => {
    clearTimeout(timer);
    const { user } = await getSession();
    const next = user ? await outbox.nextDue(user) : null;
    const wait = next === null ? TICK : Math.min(TICK, Math.max(250, next - Date.now()));
    timer = setTimeout(tick, wait);
  };
  const tick = async (force = false) => {
    try {
      if (document.visibilityState !== 'hidden') {
        await pushSoon();
        await pull({ force });
      }
    } catch (err) {
      // A bug or a full disk: try again on the next trigger rather than stopping for good.
      console.error(err);  // eslint-disable-line no-console
    }
    schedule();
  };
  // A push started elsewhere (the compose form, another tab) may leave items for later.
  outbox.onChange(() => { schedule(); });
  addEventListener('online', async () => {
    setNetwork('online');
    const { user } = await getSession();
    if (user) await outbox.wake(user);
    tick(true);
  });
  addEventListener('offline', () => setNetwork('offline'));
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') tick();
  });
  if (navigator.onLine === false) setNetwork('offline');
  // Stories kept while the session had ended go out now that a page has one again.
  getSession().then(({ user }) => (user ? outbox.wake(user, { signedInOnly: true }) : 0)).catch(() => {});
  // Push at once (a story may be waiting); the feed's pull is not urgent while the server's
  // page is fresh, so it waits until the page has settled (a phone on 2G loads the page first).
  pushSoon().catch(() => {}).finally(() => { timer = setTimeout(() => tick(true), PULL_AFTER_LOAD); });
  // Know the limits before the person taps "Send": on 2G that saves a round trip then.
  if (navigator.onLine !== false) getLimits();
  return { now: () => tick(true) };
}
