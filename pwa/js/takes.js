// A voice recording kept on the phone AS IT RECORDS, so a call, a locked screen or a killed
// tab loses at most the last second: the recorder hands over a piece every second and each
// piece is appended here (IndexedDB 'takes' and 'chunks'). A finished or discarded recording
// is dropped; one left behind is offered again on the write page (recorder.js, attach.js).
// While a tab records, it holds a Web Lock named after the take, so another tab never offers
// a recording that is still going on.
import * as db from './db.js';
import { newId } from './outbox.js';

const LOCK = 'kultialogo-take-';
const LAST = Number.MAX_SAFE_INTEGER;
const range = (id) => db.between([id, 0], [id, LAST]);

// Start keeping a recording: resolves with {append(blob, seconds), drop()}. Each call waits
// for the one before, so the last piece never lands after drop().
export async function begin(owner, { type, ext }) {
  const take = { id: newId(), owner, type, ext, seconds: 0, startedAt: Date.now(), updatedAt: Date.now() };
  let chain = db.put('takes', take, { strict: true });
  let seq = 0;
  let release = null;
  if (navigator.locks) {
    navigator.locks.request(LOCK + take.id, () => new Promise((resolve) => { release = resolve; }));
  }
  const queue = (work) => {
    chain = chain.then(work, work);
    return chain;
  };
  await chain;
  return {
    id: take.id,
    append(blob, seconds) {
      const at = seq;
      seq += 1;
      const data = blob.arrayBuffer();
      return queue(async () => {
        const piece = { take: take.id, seq: at, data: await data };
        take.seconds = Math.max(take.seconds, seconds);
        take.updatedAt = Date.now();
        await db.batch({ takes: { put: [take] }, chunks: { put: [piece] } });
      });
    },
    drop() {
      const done = queue(() => forget(take.id));
      done.finally(() => { if (release) release(); });
      return done;
    },
  };
}

// Takes of this person that no tab is recording any more, newest first.
export async function interrupted(owner) {
  const takes = await db.getAllBy('takes', 'owner', owner);
  let held = new Set();
  if (navigator.locks && navigator.locks.query) {
    const state = await navigator.locks.query();
    held = new Set((state.held || []).map((lock) => lock.name));
  }
  return takes.filter((take) => !held.has(LOCK + take.id)).sort((a, b) => b.startedAt - a.startedAt);
}

// The recording so far as one Blob (the pieces in order: a valid stream cut at a piece).
export async function assemble(take) {
  const pieces = await db.getAll('chunks', range(take.id));
  return new Blob(pieces.map((piece) => piece.data), { type: take.type });
}

export function forget(id) {
  return db.batch({ takes: { delete: [id] }, chunks: { delete: [range(id)] } });
}
