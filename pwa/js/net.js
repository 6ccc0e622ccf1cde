// Talking to the server, shared by push, pull and uploads: requests with a deadline, the
// server's problems read the same way everywhere, backoff, cross-context locks, and what we
// last saw of the network. No DOM: the service worker imports it.
const TIMEOUT = 60 * 1000;          // one request on 2G may be slow, but not forever
const FIRST_DELAY = 1000;           // backoff: about 1 s, doubling ...
const MAX_DELAY = 5 * 60 * 1000;    // ... up to 5 min

// Delay before attempt number `attempts + 1`, with "equal jitter": half fixed, half random,
// so phones that lost signal together do not all come back in the same second.
export function backoff(attempts, random = Math.random) {
  const ceiling = Math.min(MAX_DELAY, FIRST_DELAY * 2 ** Math.max(0, attempts - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

// One holder at a time across tabs and the worker; where locks are missing (plain http on a
// camp's Wi-Fi) idempotency covers the overlap.
export function locked(name, options, fn) {
  const locks = self.navigator && self.navigator.locks;
  if (locks) return locks.request(name, options, fn);
  return fn(true);
}

export async function fetchWithTimeout(url, init = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT);
  try {
    return await fetch(url, { ...init, signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

// The API's problem+json as {code, message, field, status}; a proxy's error page by its status.
export async function problemOf(response) {
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

export function retryAfterMs(response) {
  const value = response.headers.get('Retry-After');
  if (!value) return 0;
  const seconds = Number(value);
  if (!Number.isNaN(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? 0 : Math.max(0, date - Date.now());
}

// --- What we last saw of the network: pages show "offline" from it ------------------------

const listeners = new Set();
let network = 'unknown';

export function onNetwork(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function networkState() {
  return network;
}

export function setNetwork(state) {
  if (state === network) return;
  network = state;
  for (const fn of listeners) fn(state);
}
