// Stories pulled into the `stories` store (the feed read offline, feed.js). A tombstone (a
// withdrawn or hidden story) deletes it, its translations, its saved page and its media from
// every cache of ours, and new server states reach the author's "sent" list.
import * as outbox from '../outbox.js';

export const stores = ['stories', 'sent', 'records'];

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

// The state the author sees of a story this phone sent: published, not published and why (the
// reason in the person's language as the server put it, and the facilitator's own note).
async function noteStatuses(tx, stories) {
  let count = 0;
  for (const story of stories) {
    const record = await tx.get('sent', story.id);
    if (!record) continue;
    const status = story.deleted ? 'withdrawn' : story.status;
    const reason = story.moderation_reason_text || '';
    const note = story.moderation_reason || '';
    if (record.status === status && (record.reason || '') === reason && (record.note || '') === note) continue;
    tx.put('sent', { ...record, status, reason, note });
    count += 1;
  }
  return count;
}

// The person may now see more or less (pull.js): every pulled story goes, with its saved page
// and media, as a tombstone would take it; the server sends again those they may still see.
// The `sent` list is the phone's own and stays.
export async function reset(tx) {
  const held = await tx.getAll('stories');
  tx.clear('stories');
  const media = held.flatMap((story) => (Array.isArray(story.media) ? story.media : []));
  return () => forgetCached(held.map((story) => story.id), media);
}

export async function apply(tx, items) {
  const gone = items.filter((s) => s.deleted).map((s) => s.id);
  const media = [];
  for (const id of gone) {
    const story = await tx.get('stories', id);
    if (story && Array.isArray(story.media)) media.push(...story.media);
    tx.delete('stories', id);
  }
  for (const story of items) if (!story.deleted) tx.put('stories', story);
  // The translations of a story the phone no longer holds go with it (docs/sync.md, Pull).
  if (gone.length) {
    for (const record of await tx.getAllBy('records', 'type', 'translation')) {
      if (gone.includes(record.story)) tx.delete('records', record.id);
    }
  }
  const changed = await noteStatuses(tx, items);
  return async () => {
    await forgetCached(gone, media);
    if (changed) outbox.changed();
  };
}
