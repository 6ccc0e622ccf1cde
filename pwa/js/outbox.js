// The outbox: stories written on this phone and not yet acknowledged by the server, and the
// record of those that were. Queue operations only; when to send is sync.js's business.
// No DOM here: the service worker imports this module too.
import * as db from './db.js';

// States of an outbox item (what the person sees is decided in ui.js):
//   queued     saved on this phone, waiting for its next attempt
//   sending    a push is in flight (until sendingUntil, after which it counts as queued)
//   attention  the server refused it (4xx item error): kept for the person to fix
//   signin     the session ended: kept until the person signs in again
const SENDING_MS = 60 * 1000;  // a push in flight longer than this is presumed dead
const SENT_KEPT = 50;  // acknowledged stories remembered per person, newest first

const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('kultialogo-outbox') : null;
const listeners = new Set();

function changed() {
  if (channel) channel.postMessage({ type: 'changed' });
  for (const fn of listeners) fn();
}

// fn() runs after any change to the outbox, in this tab, another tab or the service worker.
export function onChange(fn) {
  listeners.add(fn);
  if (channel && listeners.size === 1) channel.onmessage = () => { for (const f of listeners) f(); };
  return () => listeners.delete(fn);
}

// A UUID v4. crypto.randomUUID needs a secure context; a camp laptop on plain http has none,
// but crypto.getRandomValues works everywhere.
export function newId() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// Put a story in the outbox (or replace the text of one that is waiting or needs attention)
// and drop its draft, in one transaction. Resolves with the stored item.
export async function enqueue({ id, owner, data, fields = null, baseEtag = null, media = [] }) {
  const now = Date.now();
  const current = await db.get('outbox', id);
  const item = {
    id,
    owner,
    op: 'upsert',
    data: { ...data, created_at: (current && current.data.created_at) || new Date(now).toISOString() },
    fields,  // the form as the person filled it, to fix and resend
    base_etag: baseEtag !== null ? baseEtag : (current ? current.base_etag : null),
    state: 'queued',
    attempts: 0,
    nextAttempt: 0,
    lastError: null,
    rev: current ? current.rev + 1 : 1,
    queuedAt: current ? current.queuedAt : now,
    updatedAt: now,
  };
  await db.batch({ outbox: { put: [item] }, drafts: { delete: [id] }, media: { put: media } }, { strict: true });
  changed();
  return item;
}

export function get(id) {
  return db.get('outbox', id);
}

// Has this id been used for a story already (waiting or sent)? A page served from the cache
// carries the id the server made when it was cached.
export async function isUsed(id) {
  return Boolean((await db.get('outbox', id)) || (await db.get('sent', id)));
}

function isDue(item, now) {
  if (item.state === 'queued') return item.nextAttempt <= now;
  if (item.state === 'sending') return item.sendingUntil <= now;  // a push that died with its tab
  return false;
}

// Items of this person that may be pushed now, oldest first.
export async function due(owner, now = Date.now()) {
  const items = await db.getAllBy('outbox', 'owner', owner);
  return items.filter((item) => isDue(item, now)).sort((a, b) => a.queuedAt - b.queuedAt);
}

// When the earliest waiting item may be tried again (ms epoch), or null.
export async function nextDue(owner) {
  const items = await db.getAllBy('outbox', 'owner', owner);
  const times = items.filter((i) => i.state === 'queued' || i.state === 'sending')
    .map((i) => (i.state === 'sending' ? i.sendingUntil : i.nextAttempt));
  return times.length ? Math.min(...times) : null;
}

function change(id, fn) {
  return db.update('outbox', id, (item) => (item ? fn(item) : undefined), { strict: true });
}

// Mark items as in flight; resolves with the revisions being sent ({id: rev}).
export async function markSending(ids, now = Date.now()) {
  const revs = {};
  for (const id of ids) {
    await change(id, (item) => {
      revs[id] = item.rev;
      return { ...item, state: 'sending', sendingUntil: now + SENDING_MS };
    });
  }
  changed();
  return revs;
}

// The server stored it (created, unchanged or updated). Only now does it leave the outbox,
// unless the person changed it while it was in flight: then the new text stays queued, based
// on the version the server has.
export async function acknowledge(id, sentRev, story) {
  const item = await db.get('outbox', id);
  if (!item) return;
  const record = {
    id, owner: item.owner, title: item.data.title, language: item.data.language,
    status: story && story.status ? story.status : 'pending',
    reason: (story && story.moderation_reason_text) || '', note: (story && story.moderation_reason) || '',
    etag: story && story.etag ? story.etag : null, sentAt: Date.now(),
  };
  const older = (await db.getAllBy('sent', 'owner', item.owner))
    .sort((a, b) => b.sentAt - a.sentAt).slice(SENT_KEPT - 1).map((r) => r.id);
  // The record first, then the outbox entry: a crash in between shows the story twice for a
  // moment, never zero times.
  await db.batch({ sent: { put: [record], delete: older.filter((old) => old !== id) } }, { strict: true });
  let removed = false;
  await db.update('outbox', id, (current) => {
    if (!current) return undefined;
    if (current.rev === sentRev) { removed = true; return null; }
    return { ...current, state: 'queued', nextAttempt: 0, attempts: 0, lastError: null,
      base_etag: record.etag || current.base_etag };
  }, { strict: true });
  if (removed) await dropMedia(item.data.media || [], item.owner);
  changed();
}

// Photos and recordings that neither a waiting story nor a draft refers to leave the phone.
async function dropMedia(hashes, owner) {
  if (!hashes.length) return;
  const [items, drafts] = await Promise.all([db.getAllBy('outbox', 'owner', owner), db.getAllBy('drafts', 'owner', owner)]);
  const still = new Set([...items.flatMap((i) => i.data.media || []),
    ...drafts.flatMap((d) => Object.values(d.media || {}))]);
  const unused = hashes.filter((sha) => !still.has(sha));
  if (unused.length) await db.batch({ media: { delete: unused } });
}

export function getMedia(sha256) {
  return db.get('media', sha256);
}

// Keep a photo or recording on the phone (a draft's or a waiting story's). Rejects with a
// QuotaExceededError when the phone is full: the caller says so, and the text stays.
export function saveMedia(record) {
  return db.put('media', record, { strict: true });
}

// The person removed a photo or recording from what they are writing.
export function forgetMedia(sha256, owner) {
  return dropMedia([sha256], owner);
}

// Upload progress of one file of an item, for a bar per file: "Photo: 40 KB of 212 KB".
export async function progress(id, sha256, sent, total, type = '') {
  await change(id, (item) => ({ ...item, progress: { ...(item.progress || {}), [sha256]: { sent, total, type } } }));
  changed();
}

// A whole-request failure (network, 5xx, 429): try again at `nextAttempt`.
export async function retryLater(ids, nextAttemptFor, error) {
  for (const id of ids) {
    await change(id, (item) => {
      const attempts = item.attempts + 1;
      return { ...item, state: 'queued', attempts, nextAttempt: nextAttemptFor(attempts), lastError: error };
    });
  }
  changed();
}

// The server refused this item: keep it, with the reason, for the person to fix.
export async function needsAttention(id, error) {
  await change(id, (item) => ({ ...item, state: 'attention', lastError: error }));
  changed();
}

// The session ended: keep the items until the person signs in.
export async function waitForSignIn(ids, error) {
  for (const id of ids) await change(id, (item) => ({ ...item, state: 'signin', lastError: error }));
  changed();
}

// Connectivity came back (everything waiting), or the person is signed in again (signedInOnly).
export async function wake(owner, { signedInOnly = false } = {}) {
  const items = await db.getAllBy('outbox', 'owner', owner);
  let woken = 0;
  for (const item of items) {
    const waiting = !signedInOnly && item.state === 'queued' && item.nextAttempt > Date.now();
    if (item.state === 'signin' || waiting) {
      await change(item.id, (current) => ({ ...current, state: 'queued', nextAttempt: 0 }));
      woken += 1;
    }
  }
  if (woken) changed();
  return woken;
}

// Everything this person has on the phone: waiting items and acknowledged ones.
export async function list(owner) {
  const [waiting, sent] = await Promise.all([db.getAllBy('outbox', 'owner', owner), db.getAllBy('sent', 'owner', owner)]);
  const ids = new Set(waiting.map((i) => i.id));
  return {
    waiting: waiting.sort((a, b) => b.queuedAt - a.queuedAt),
    sent: sent.filter((s) => !ids.has(s.id)).sort((a, b) => b.sentAt - a.sentAt),
  };
}

// New server states (from a pull) for stories this phone sent: one transaction per page.
export async function noteStatuses(stories) {
  if (!stories.length) return;
  const byId = new Map(stories.map((story) => [story.id, story]));
  const changedCount = await db.updateMany('sent', [...byId.keys()], (record, id) => {
    if (!record) return undefined;
    const story = byId.get(id);
    const status = story.deleted ? 'withdrawn' : story.status;
    // Why a facilitator did not publish it or hid it: the reason in the person's language
    // (as the server put it at pull time) and the facilitator's own note, if any.
    const reason = story.moderation_reason_text || '';
    const note = story.moderation_reason || '';
    if (record.status === status && (record.reason || '') === reason && (record.note || '') === note) return undefined;
    return { ...record, status, reason, note };
  });
  if (changedCount) changed();
}

// --- Drafts: what the person is typing -----------------------------------------------------

// `media`: the draft's photo and recording, {field name: sha256}, kept in the media store.
export function saveDraft(id, owner, fields, media = {}) {
  return db.put('drafts', { id, owner, fields, media, updatedAt: Date.now() });
}

export async function latestDraft(owner) {
  const drafts = await db.getAllBy('drafts', 'owner', owner);
  drafts.sort((a, b) => b.updatedAt - a.updatedAt);
  return drafts[0];
}

export function dropDraft(id) {
  return db.remove('drafts', id);
}
