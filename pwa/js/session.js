// Who is signed in on this phone, and the CSRF token the API wants on a POST. Pages write both
// on every load (the account from the page, the token from <meta name="csrf-token">); the
// service worker has no page: it reads the token from the `csrf_token` cookie the server sets
// for signed-in sessions (docs/sync.md), never from a page's HTML. No DOM here.
import * as db from './db.js';

const COOKIE = 'csrf_token';
// Where a page reads cookies when the browser has no cookieStore (triggers.js sets it).
let cookieReader = null;

export function readCookiesWith(fn) {
  cookieReader = fn;
}

export async function setSession(session) {
  const before = await db.getMeta('session');
  if (before && before.user !== session.user) {
    // Someone else on this phone now (a shared phone at a camp): the records the last person
    // could read are not theirs to see, not even offline. Outbox, drafts and sent records are
    // kept per person and stay.
    await db.batch({ stories: { clear: true }, records: { clear: true },
      meta: { put: [{ key: 'session', value: session }, { key: 'feed', value: { scope: session.user, cursor: null, at: 0 } }] } });
    return;
  }
  await db.setMeta('session', session);
}

export async function getSession() {
  return (await db.getMeta('session')) || { user: '', csrf: '' };
}

// The token in the cookie now ('' when there is none or no way to read it).
export async function cookieToken() {
  try {
    if (self.cookieStore) {
      const cookie = await self.cookieStore.get(COOKIE);
      return cookie ? decodeURIComponent(cookie.value) : '';
    }
    if (cookieReader) {
      const pair = cookieReader().split('; ').find((c) => c.startsWith(`${COOKIE}=`));
      return pair ? decodeURIComponent(pair.slice(COOKIE.length + 1)) : '';
    }
  } catch (err) {
    // No access to cookies here (an opaque origin, a privacy setting): the stored token stays.
  }
  return '';
}

// After the server refused our token (`csrf_failed`): the cookie's, if it is another one and
// the person is still the one whose items are being sent. Resolves with the new session or null.
export async function freshToken(owner) {
  const session = await getSession();
  const token = await cookieToken();
  if (!token || token === session.csrf || session.user !== owner) return null;
  const fresh = { ...session, csrf: token };
  await db.setMeta('session', fresh);
  return fresh;
}
