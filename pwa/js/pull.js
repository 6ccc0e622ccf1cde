// Pull: brings what the person may see up to date from the saved cursor, every kind this shell
// knows behind one cursor (docs/sync.md: `kinds=`), and hands each page's items to their kind's
// applier (kinds.js), all of a page and the cursor in one transaction. Pages only (the worker
// pushes, it does not pull); one pull at a time across tabs (navigator.locks).
import * as db from './db.js';
import { TYPES, load } from './kinds.js';
import { fetchWithTimeout, locked, problemOf, setNetwork } from './net.js';
import { getSession } from './session.js';

const PULL_URL = '/api/v1/sync/pull';
const COMMUNITIES_URL = '/api/v1/communities';
const PULL_EVERY = 30 * 1000;
const PULL_PAGES = 20;              // per run; the next run resumes from the saved cursor
const ALL = TYPES.join(',');
const DAY = 24 * 3600 * 1000;

// Every kind this shell knows; stories alone for a day after a server that knows fewer (an
// older camp node) refused the list (400 bad_kinds), so the feed still comes.
async function kindsToPull() {
  const refused = await db.getMeta('kindsRefused');
  return refused && refused.kinds === ALL && Date.now() - refused.at < DAY ? 'story' : ALL;
}

// Community names in the page's language, for the feed read offline; again once a day.
async function refreshCommunities(lang) {
  const known = await db.getMeta('communities');
  if (known && known.lang === lang && Date.now() - known.at < 24 * 3600 * 1000) return;
  const response = await fetchWithTimeout(COMMUNITIES_URL, { credentials: 'same-origin' });
  if (!response.ok) return;
  const names = {};
  for (const c of await response.json()) names[c.slug] = c.name;
  await db.setMeta('communities', { names, lang, at: Date.now() });
}

// One page of items: each kind's applier writes its own, and the cursor moves, all or nothing.
// `reset`: the person may now see more or less than before (another community, another role),
// so the server started again from the start, and what earlier pulls brought goes first.
async function applyPage(items, feed, reset = false) {
  // Every kind's reset(tx), once each (the record kinds share theirs).
  const resets = reset ? [...new Set((await Promise.all(TYPES.map(load))).filter((k) => k && k.reset))] : [];
  const groups = new Map();
  for (const item of items) {
    const type = item.type || 'story';  // a server from before the kinds sends stories only
    if (!groups.has(type)) groups.set(type, []);
    groups.get(type).push(item);
  }
  // Modules load before the transaction opens: it would close while one downloads.
  const appliers = [];
  for (const [type, list] of groups) {
    const kind = await load(type);
    if (kind) appliers.push([kind, list]);  // a kind this shell does not know: skipped
  }
  const stores = new Set(['meta']);
  for (const kind of [...resets, ...appliers.map(([k]) => k)]) for (const name of kind.stores) stores.add(name);
  const after = await db.transact([...stores], async (tx) => {
    const done = [];
    for (const fn of new Set(resets.map((kind) => kind.reset))) done.push(await fn(tx));
    for (const [kind, list] of appliers) done.push(await kind.apply(tx, list));
    tx.put('meta', { key: 'feed', value: feed });
    return done;
  });
  for (const fn of after) if (fn) await fn();
}

// Pages from the saved cursor, each applied as it comes. 'refused' when the server does not
// know one of the kinds asked for.
async function pages(feed, lang) {
  const { scope, kinds } = feed;
  let current = feed;
  for (let page = 0; page < PULL_PAGES; page += 1) {
    const query = new URLSearchParams({ kinds });
    if (current.cursor) query.set('cursor', current.cursor);
    const response = await fetchWithTimeout(`${PULL_URL}?${query}`, { credentials: 'same-origin' });
    if (!response.ok) {
      if (response.status === 400 && kinds !== 'story' && (await problemOf(response)).code === 'bad_kinds') {
        await db.setMeta('kindsRefused', { kinds, at: Date.now() });
        return 'refused';
      }
      return { ok: false, offline: false, status: response.status };
    }
    const body = await response.json();
    current = { scope, kinds, cursor: body.cursor, at: Date.now() };
    await applyPage(body.items, current, body.reset === true);
    if (!body.more) break;
  }
  setNetwork('online');
  await refreshCommunities(lang);
  return { ok: true };
}

// Resolves with {ok: true} or {ok: false, offline}. `lang`: the page's, for community names.
export async function pull({ force = false, lang = 'en' } = {}) {
  return locked('kultialogo-pull', { ifAvailable: true }, async (lock) => {
    if (!lock) return { ok: true, skipped: true };  // another tab is pulling
    const scope = (await getSession()).user || '';
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const kinds = await kindsToPull();
      let feed = await db.getMeta('feed');
      if (!feed || feed.scope !== scope) {
        // Someone else signed in on this phone: their records are not this person's.
        feed = { scope, kinds, cursor: null, at: 0 };
        await db.batch({ stories: { clear: true }, records: { clear: true }, meta: { put: [{ key: 'feed', value: feed }] } });
      } else if (feed.kinds !== kinds) {
        // Other kinds than the last pull's: their older changes are behind the cursor, so from
        // the start (what the phone holds is overwritten as it comes).
        feed = { scope, kinds, cursor: null, at: 0 };
      }
      if (!force && Date.now() - feed.at < PULL_EVERY) return { ok: true, skipped: true };
      try {
        const outcome = await pages(feed, lang);
        if (outcome !== 'refused') return outcome;
      } catch (err) {
        if (err instanceof TypeError || (err && err.name === 'AbortError')) {
          setNetwork('offline');
          return { ok: false, offline: true };
        }
        throw err;
      }
    }
    return { ok: false, offline: false };
  });
}
