// Push: sends the outbox in batches (any mix of kinds, docs/sync.md), reads the answer item by
// item (by type and id) and backs off when the network or the server is not well. Policy
// only: queue operations are outbox.js, files go up first through upload.js. No DOM: the
// service worker runs it on a Background Sync event. One push loop at a time across tabs and
// the worker (navigator.locks).
import * as db from './db.js';
import * as outbox from './outbox.js';
import { backoff, fetchWithTimeout, locked, problemOf, retryAfterMs, setNetwork } from './net.js';
import { freshToken, getSession } from './session.js';
import { mediaPending, uploadMedia } from './upload.js';

const PUSH_URL = '/api/v1/sync/push';
const LIMITS_URL = '/api/v1/limits';
const GZIP_FROM = 600;              // bytes: below this gzip saves less than it costs
const ACKNOWLEDGED = ['created', 'unchanged', 'updated'];
export const SYNC_TAG = 'kultialogo-outbox';

// The server's limits (GET /api/v1/limits), remembered for a day; null when unknown.
export async function getLimits() {
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

// The item as the contract has it (the phone's own state fields stay home).
function wire(item) {
  return { type: outbox.typeOf(item), op: item.op, id: item.id, base_etag: item.base_etag, data: item.data };
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

// The answer's result for each item of the batch: by type and id; a server from before the
// other kinds answered stories only, in the order of the items.
function resultsFor(batch, results) {
  const byKey = new Map(results.map((r) => [`${r.type || 'story'}:${r.id}`, r]));
  return batch.map((item, i) => byKey.get(`${outbox.typeOf(item)}:${item.id}`) || results[i]);
}

// What to do with one item's result.
async function settle(item, result, rev) {
  const record = result.record || null;
  if (ACKNOWLEDGED.includes(result.result)) {
    await outbox.acknowledge(item.id, rev, record);
  } else if (result.result === 'conflict') {
    // Nothing changed on the server (a story's losing text is kept there). Sending again on top
    // of its version keeps ours: the person decides.
    await outbox.needsAttention(item.id, { code: 'conflict', message: '', field: null,
      serverEtag: record ? record.etag : null });
  } else if (result.result === 'media_missing') {
    // The server lost or expired a file we thought was up: upload it again, once.
    const missing = result.missing_media || [];
    let again = 0;
    for (const sha256 of missing) {
      const file = await outbox.getMedia(sha256);
      if (file) { again += 1; await outbox.saveMedia({ ...file, done: false, url: null }); }
    }
    if (again === missing.length && item.attempts < 3) {
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

// Send one batch. Returns 'ok' (go on), 'split' (send smaller batches), 'retry' (stop: the
// network or the server is not well; the items wait for their next attempt) or 'stop'.
async function pushBatch(batch, state) {
  const ids = batch.map((item) => item.id);
  const revs = await outbox.markSending(ids);
  // Version 4 of the contract: each record is answered once, as `record`.
  const text = JSON.stringify({ items: batch.map(wire), protocol: 4 });
  let response;
  try {
    response = await post(text, state.session.csrf);
    if (response.status === 403 && !state.refreshed) {
      const problem = await problemOf(response.clone());
      if (problem.code === 'csrf_failed') {
        state.refreshed = true;
        // The cookie's token, when it is newer and the person is still the items' owner; else
        // the items wait until a page of this person is opened (it brings its own token).
        const fresh = await freshToken(batch[0].owner);
        if (!fresh) {
          await outbox.waitForSignIn(ids, problem);
          return 'stop';
        }
        state.session = fresh;
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
    const results = resultsFor(batch, body.results);
    for (let i = 0; i < batch.length; i += 1) await settle(batch[i], results[i], revs[batch[i].id]);
    return 'ok';
  }
  const problem = await problemOf(response);
  if (response.status === 429 || response.status >= 500) {
    const wait = retryAfterMs(response);
    await outbox.retryLater(ids, (attempts) => Date.now() + Math.max(wait, backoff(attempts)), problem);
    return 'retry';
  }
  if (response.status === 401 || problem.code === 'csrf_failed') {
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

async function pushDue() {
  const state = { session: await getSession(), refreshed: false };
  if (!state.session.user) return { retryLater: false, pushed: 0 };
  // The browser knows there is no network at all: leave the items as they are ("saved on
  // this phone"); `online` wakes us. (onLine true proves nothing, so then we just try.)
  if (self.navigator && self.navigator.onLine === false) return { retryLater: true, pushed: 0 };
  let cap = Infinity;
  let pushed = 0;
  let limits;
  for (let round = 0; round < 1000 && !held; round += 1) {
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
let held = null;  // a promise that never settles, once the page holds its pushes

export function pushSoon() {
  if (held) return held;
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

// The person accepted an update (update.js): this page pushes no more until it reloads. Its
// requests go through the old worker, and one that lands as that worker stops for the new one
// starts it again: Chromium then leaves the new one waiting (minutes). The worker never holds.
// Resolves once the push in flight, if any, is over.
export function holdPushes() {
  held = new Promise(() => {});
  return pushing && pushing.catch(() => {});
}
