// The outbox: records of any kind written on this phone and not yet acknowledged by the
// server (stories, translations, attendance...), and the record of those that were. Queue
// operations only; when to send is push.js's business. An item is
//   {type, id, op, base_etag, data, owner, fields?, state, attempts, nextAttempt, lastError,
//    rev, queuedAt, seq, updatedAt}
// (docs/sync.md's push item plus the phone's state); an item with no type is a story (queued
// before there were other kinds). No DOM here: the service worker imports this module too.
import * as db from './db.js';

// States of an outbox item (what the person sees is decided in ui.js and forms.js):
//   queued     saved on this phone, waiting for its next attempt
//   sending    a push is in flight (until sendingUntil, after which it counts as queued)
//   attention  the server refused it (4xx item error): kept for the person to fix
//   signin     the session ended: kept until the person signs in again
const SENDING_MS = 60 * 1000;  // a push in flight longer than this is presumed dead
const SENT_KEPT = 50;  // acknowledged records remembered per person and kind, newest first

const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('kultialogo-outbox') : null;
const listeners = new Set();

// Tell every listener (this tab, the other tabs, the worker) that the outbox changed.
export function changed() {
  if (channel) channel.postMessage({ type: 'changed' });
  for (const fn of listeners) fn();
}

// fn() runs after any change to the outbox, in this tab, another tab or the service worker.
export function onChange(fn) {
  listeners.add(fn);
  if (channel && listeners.size === 1) channel.onmessage = () => { for (const f of listeners) f(); };
  return () => listeners.delete(fn);
}

// Bytes as lowercase hex (ids, SHA-256 names of media).
export const hex = (bytes) => Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('');

// A random UUID (v4), or with `timed` a v7 (RFC 9562): the time in ms first, so new stories'
// ids sort last and the server's index of them grows at its end (docs/sync.md, Ids). Only
// stories are timed: their view shows created_at anyway. crypto.getRandomValues, unlike
// crypto.randomUUID, works outside a secure context too (a camp laptop on plain http).
export function newId(timed) {
  const b = crypto.getRandomValues(new Uint8Array(16));
  for (let i = 5, ms = Date.now(); timed && i >= 0; i--, ms = Math.floor(ms / 256)) b[i] = ms % 256;
  b[6] = (b[6] & 0x0f) | (timed ? 0x70 : 0x40);
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = hex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function typeOf(item) {
  return item.type || 'story';
}

// Put one record or several (an attendance and its lines) in the outbox, replacing the
// waiting version of any of them, in ONE transaction: each item's current version is read in
// it, so two tabs or the worker never interleave. An entry: {type = 'story', id, op = 'upsert',
// data, baseEtag, fields, shown, keep}; `keep` names data keys whose first queued value stays (a
// story's created_at). `drafts`: draft ids to drop with it; `media`: files to keep for it.
// Resolves with the stored items (one, or an array when given an array).
export async function enqueue(entries, { owner, drafts = [], media = [] }) {
  const list = [].concat(entries);
  const now = Date.now();
  const items = await db.transact(['outbox', 'drafts', 'media'], async (tx) => {
    const stored = [];
    for (const [seq, entry] of list.entries()) {
      const current = await tx.get('outbox', entry.id);
      const data = { ...entry.data };
      for (const key of entry.keep || []) if (current && current.data[key] !== undefined) data[key] = current.data[key];
      const baseEtag = entry.baseEtag !== undefined && entry.baseEtag !== null ? entry.baseEtag : null;
      const item = {
        type: entry.type || 'story',
        id: entry.id,
        owner,
        op: entry.op || 'upsert',
        data,
        fields: entry.fields || null,  // the form as the person filled it, to fix and resend
        shown: entry.shown || null,  // what a page shows of it until the server's page does (kinds/help.js)
        base_etag: baseEtag !== null ? baseEtag : (current ? current.base_etag : null),
        state: 'queued',
        attempts: 0,
        nextAttempt: 0,
        lastError: null,
        rev: current ? current.rev + 1 : 1,
        queuedAt: current ? current.queuedAt : now,
        seq: current && current.seq !== undefined ? current.seq : seq,
        updatedAt: now,
      };
      tx.put('outbox', item);
      stored.push(item);
    }
    for (const id of drafts) tx.delete('drafts', id);
    for (const record of media) tx.put('media', record);
    return stored;
  }, { strict: true });
  changed();
  return Array.isArray(entries) ? items : items[0];
}

export function get(id) {
  return db.get('outbox', id);
}

// Has this id been used already (waiting or sent)? A page served from the cache
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
  return items.filter((item) => isDue(item, now))
    .sort((a, b) => a.queuedAt - b.queuedAt || (a.seq || 0) - (b.seq || 0));
}

// When the earliest waiting item may be tried again (ms epoch), or null.
export async function nextDue(owner) {
  const items = await db.getAllBy('outbox', 'owner', owner);
  const times = items.filter((i) => i.state === 'queued' || i.state === 'sending')
    .map((i) => (i.state === 'sending' ? i.sendingUntil : i.nextAttempt));
  return times.length ? Math.min(...times) : null;
}

// The server stored a recording under another hash (its voice disguised): the story names that.
export function renameMedia(id, from, to) {
  return change(id, (item) => ({ ...item, data: { ...item.data, media: item.data.media.map((h) => (h === from ? to : h)) } }));
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

// The server stored it (created, unchanged or updated): `record` is its view (or tombstone)
// as the push answered. Only now does the item leave the outbox, unless the person changed it
// while it was in flight: then the new version stays queued, based on the one the server has.
// A `sent` record remembers it (its state for the person: "Published", "Sent"), the same for
// every kind; the sent record and the outbox change in one transaction.
export async function acknowledge(id, sentRev, record) {
  const view = record || {};
  let item = null;
  let removed = false;
  await db.transact(['outbox', 'sent'], async (tx) => {
    item = await tx.get('outbox', id);
    if (!item) return;
    const type = typeOf(item);
    const sent = {
      id, type, owner: item.owner, title: item.data.title, language: item.data.language,
      status: view.status || 'pending',
      reason: view.moderation_reason_text || '', note: view.moderation_reason || '',
      etag: view.etag || null, sentAt: Date.now(), shown: item.shown || null,
    };
    const older = (await tx.getAllBy('sent', 'owner', item.owner))
      .filter((r) => (r.type || 'story') === type && r.id !== id)
      .sort((a, b) => b.sentAt - a.sentAt).slice(SENT_KEPT - 1);
    for (const old of older) tx.delete('sent', old.id);
    tx.put('sent', sent);
    if (item.rev === sentRev) {
      removed = true;
      tx.delete('outbox', id);
    } else {
      tx.put('outbox', { ...item, state: 'queued', nextAttempt: 0, attempts: 0, lastError: null,
        base_etag: sent.etag || item.base_etag });
    }
  }, { strict: true });
  if (!item) return;
  if (removed) await dropMedia(item.data.media || [], item.owner);
  changed();
}

export function getSent(id) {
  return db.get('sent', id);
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

// Everything of one kind this person has on the phone: waiting items and acknowledged ones.
export async function list(owner, type = 'story') {
  const [all, done] = await Promise.all([db.getAllBy('outbox', 'owner', owner), db.getAllBy('sent', 'owner', owner)]);
  const waiting = all.filter((i) => typeOf(i) === type);
  const ids = new Set(waiting.map((i) => i.id));
  return {
    waiting: waiting.sort((a, b) => b.queuedAt - a.queuedAt),
    sent: done.filter((s) => typeOf(s) === type && !ids.has(s.id)).sort((a, b) => b.sentAt - a.sentAt),
  };
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
