// The one module that touches IndexedDB (style guide). Every export returns a promise.
// Works in pages and in the service worker (no DOM). A ~100-line wrapper in the spirit of
// svgomg's storage.js and idb: memoised open, one transaction per call, `done` on commit.
//
// Stores (all keyed by the record's id unless said otherwise):
//   outbox   records of any kind waiting to be pushed (outbox.js): {id, type, owner, op, data,
//            base_etag, state, attempts, nextAttempt, lastError, rev, queuedAt, seq}; no type
//            means a story (items queued before there were other kinds)
//   drafts   what the person is typing, saved as they type: {id, owner, fields, updatedAt}
//   sent     records the server acknowledged, for their state: {id, type, owner, title, status,
//            etag, ...}
//   stories  the pulled feed (server views), tombstones delete from it
//   meta     small records {key, value}: session, feed cursor, limits, communities
//   media    photos and recordings of waiting stories, by SHA-256: {sha256, owner, type, name,
//            size, data (ArrayBuffer: Safari cannot store Blobs everywhere), url, done}
//   takes    a voice recording in progress, kept as it records (takes.js): {id, owner, type,
//            ext, seconds, startedAt, updatedAt}; gone once it is finished or discarded
//   chunks   its data, a piece a second, keyed [take id, seq]: {take, seq, data (ArrayBuffer)}
//   records  pulled records of the other kinds (translations, attendance, reports): their server
//            views with their type, by id (kinds/*.js)

const NAME = 'kultialogo';
const VERSION = 4;

// Stepwise, like database migrations: step N only adds what version N needs and never
// deletes a store or record that holds someone's words. Add `if (oldVersion < 5) {...}`
// below; never edit a step that has shipped.
function upgrade(db, oldVersion) {
  if (oldVersion < 1) {
    db.createObjectStore('outbox', { keyPath: 'id' }).createIndex('owner', 'owner');
    db.createObjectStore('drafts', { keyPath: 'id' }).createIndex('owner', 'owner');
    db.createObjectStore('sent', { keyPath: 'id' }).createIndex('owner', 'owner');
    db.createObjectStore('stories', { keyPath: 'id' });
    db.createObjectStore('meta', { keyPath: 'key' });
  }
  if (oldVersion < 2) {
    db.createObjectStore('media', { keyPath: 'sha256' }).createIndex('owner', 'owner');
  }
  if (oldVersion < 3) {
    db.createObjectStore('takes', { keyPath: 'id' }).createIndex('owner', 'owner');
    db.createObjectStore('chunks', { keyPath: ['take', 'seq'] });
  }
  if (oldVersion < 4) {
    db.createObjectStore('records', { keyPath: 'id' }).createIndex('type', 'type');
  }
}

let opening = null;

export function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = (event) => upgrade(request.result, event.oldVersion);
      request.onsuccess = () => {
        const db = request.result;
        // A newer shell in another tab wants to upgrade: let it, and reopen next time.
        db.onversionchange = () => { db.close(); opening = null; };
        db.onclose = () => { opening = null; };
        resolve(db);
      };
      request.onerror = () => { opening = null; reject(request.error); };
    });
  }
  return opening;
}

function settle(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error || new DOMException('Transaction aborted', 'AbortError'));
  });
}

// Run fn(stores) in one transaction and resolve with its value once the transaction has
// committed. fn may only wait on IndexedDB requests, never on fetch (the transaction would
// close under it). 'strict' durability for writes that hold a story (Chrome's default is
// relaxed: a power cut could lose a story the person saw as "saved").
async function run(names, mode, fn, durability = 'default') {
  const db = await open();
  const list = [].concat(names);
  const tx = db.transaction(list, mode, { durability });
  const stores = {};
  for (const name of list) stores[name] = tx.objectStore(name);
  const finished = done(tx);
  let value;
  try {
    value = await fn(stores);
  } catch (err) {
    // All or nothing: a put that threw (a full disk, a value that cannot be stored) must not
    // let the writes before it commit on their own.
    finished.catch(() => {});
    try { tx.abort(); } catch (ignored) { /* already finished */ }
    throw err;
  }
  await finished;
  return value;
}

export function get(store, key) {
  return run(store, 'readonly', (s) => settle(s[store].get(key)));
}

// query: a key or a range from between(); all records when left out.
export function getAll(store, query) {
  return run(store, 'readonly', (s) => settle(s[store].getAll(query)));
}

// The keys from lower to upper (both included), for getAll() and batch() deletes.
export function between(lower, upper) {
  return IDBKeyRange.bound(lower, upper);
}

export function getAllBy(store, index, value) {
  return run(store, 'readonly', (s) => settle(s[store].index(index).getAll(value)));
}

export function put(store, value, { strict = false } = {}) {
  return run(store, 'readwrite', (s) => settle(s[store].put(value)), strict ? 'strict' : 'default');
}

export function remove(store, key) {
  return run(store, 'readwrite', (s) => settle(s[store].delete(key)));
}

export function clear(store) {
  return run(store, 'readwrite', (s) => settle(s[store].clear()));
}

// Read-modify-write of one record in one transaction, so two tabs and the service worker
// never overwrite each other's changes. fn(current) returns the new record, null to delete
// it, or undefined to leave it as it is. Resolves with what fn returned.
export function update(store, key, fn, { strict = false } = {}) {
  return run(store, 'readwrite', async (s) => {
    const next = fn(await settle(s[store].get(key)));
    if (next === null) s[store].delete(key);
    else if (next !== undefined) s[store].put(next);
    return next;
  }, strict ? 'strict' : 'default');
}

// Several changes over several stores, all or nothing:
// batch({ outbox: { put: [item] }, drafts: { delete: [id] } }, { strict: true }); a delete may be a range.
export function batch(changes, { strict = false } = {}) {
  const names = Object.keys(changes);
  return run(names, 'readwrite', (s) => {
    for (const name of names) {
      const { put: puts = [], delete: deletes = [], clear: wipe = false } = changes[name];
      if (wipe) s[name].clear();
      for (const key of deletes) s[name].delete(key);
      for (const value of puts) s[name].put(value);
    }
  }, strict ? 'strict' : 'default');
}

// Reads and writes over several stores in one transaction, for a read-modify-write that must
// not interleave with another tab or the worker (outbox.enqueue, a pull's page). fn(tx) gets
// tx.get / tx.getAll / tx.getAllBy (promises: await only these inside fn) and tx.put /
// tx.delete / tx.clear; it resolves with fn's value once everything has committed.
export function transact(names, fn, { strict = false } = {}) {
  return run(names, 'readwrite', (s) => fn({
    get: (store, key) => settle(s[store].get(key)),
    getAll: (store, query) => settle(s[store].getAll(query)),
    getAllBy: (store, index, value) => settle(s[store].index(index).getAll(value)),
    put: (store, value) => { s[store].put(value); },
    delete: (store, key) => { s[store].delete(key); },
    clear: (store) => { s[store].clear(); },
  }), strict ? 'strict' : 'default');
}

export async function getMeta(key) {
  const record = await get('meta', key);
  return record ? record.value : undefined;
}

export function setMeta(key, value) {
  return put('meta', { key, value });
}
