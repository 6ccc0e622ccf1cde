// When to sync, from a page: push then pull on load, on `online`, when the page becomes visible,
// and on a timer that also wakes up for the next item due after a backoff; and Background Sync
// registered so the worker sends the outbox when the connection is back with no page open.
// The page's side only (it touches `document`); the worker imports push.js itself.
import * as outbox from './outbox.js';
import { networkState, onNetwork, setNetwork } from './net.js';
import { pull } from './pull.js';
import { SYNC_TAG, getLimits, pushSoon } from './push.js';
import { getSession, readCookiesWith, setSession } from './session.js';

export { networkState, onNetwork, pushSoon, setSession };

const TICK = 60 * 1000;             // the timer while a page is open
const PULL_AFTER_LOAD = 3000;       // ms after the page's first push

// Where the browser has no cookieStore, the session's token cookie is read from the page.
readCookiesWith(() => document.cookie);

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

// Push now and, should that not get everything out, again when the connection is back.
export function pushNow() {
  pushSoon();
  requestBackgroundSync();
}

export function startAutoSync() {
  let timer = null;
  const lang = document.documentElement.lang || 'en';
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
        await pull({ force, lang });
      }
    } catch (err) {
      // A bug or a full disk: try again on the next trigger rather than stopping for good.
      console.error(err);  // eslint-disable-line no-console
    }
    schedule();
  };
  // A push started elsewhere (a form, another tab) may leave items for later.
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
  // Records kept while the session had ended go out now that a page has one again.
  getSession().then(({ user }) => (user ? outbox.wake(user, { signedInOnly: true }) : 0)).catch(() => {});
  // Push at once (something may be waiting); the pull is not urgent while the server's page is
  // fresh, so it waits until the page has settled (a phone on 2G loads the page first).
  pushSoon().catch(() => {}).finally(() => { timer = setTimeout(() => tick(true), PULL_AFTER_LOAD); });
  // Know the limits before the person taps "Send": on 2G that saves a round trip then.
  if (navigator.onLine !== false) getLimits();
  return { now: () => tick(true) };
}
