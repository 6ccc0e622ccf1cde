// The tus 1.0 client: a story's photos and recordings go up, resumably, before the story that
// refers to them (docs/sync.md, Media). Used by push.js; no DOM (the service worker runs it).
// `state.session.csrf` is the token for the session's requests.
import * as outbox from './outbox.js';
import { backoff, fetchWithTimeout, problemOf, setNetwork } from './net.js';

const UPLOADS_URL = '/api/v1/media/uploads';
const TUS = '1.0.0';
const DISGUISE_URL = '/api/v1/media/disguised';

class UploadError extends Error {
  constructor(kind, problem) {
    super(kind);
    this.kind = kind;        // 'network' | 'retry' (5xx, 429) | 'signin' | 'refused' (4xx)
    this.problem = problem;
  }
}

function b64(text) {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

async function tus(url, method, state, headers = {}, body = undefined) {
  let response;
  try {
    response = await fetchWithTimeout(url, { method, body, credentials: 'same-origin',
      headers: { 'Tus-Resumable': TUS, 'X-CSRF-Token': state.session.csrf, ...headers } });
  } catch (err) {
    throw new UploadError('network', { code: 'network', message: '' });
  }
  if (response.status === 401) throw new UploadError('signin', await problemOf(response));
  if (response.status === 429 || response.status >= 500) throw new UploadError('retry', await problemOf(response));
  return response;
}

// Upload one file (resuming where it stopped); resolves when the server has all of it.
async function uploadOne(sha256, item, state, chunk) {
  const record = await outbox.getMedia(sha256);
  if (!record) throw new UploadError('refused', { code: 'media_lost', message: '' });
  if (record.done) return;
  if (record.disguise) return disguiseOne(record, item, state);
  let offset = 0;
  if (record.url) {
    const head = await tus(record.url, 'HEAD', state);
    if (head.ok) offset = Number(head.headers.get('Upload-Offset')) || 0;
    else record.url = null;  // expired or gone: start again
  }
  if (!record.url) {
    const meta = `sha256 ${b64(record.sha256)},type ${b64(record.type)},filename ${b64(record.name)}`;
    const created = await tus(UPLOADS_URL, 'POST', state, { 'Upload-Length': String(record.size), 'Upload-Metadata': meta });
    if (created.status === 200) {  // the server has this file already
      await outbox.saveMedia({ ...record, done: true });
      await outbox.progress(item.id, sha256, record.size, record.size, record.type);
      return;
    }
    if (created.status !== 201) throw new UploadError('refused', await problemOf(created));
    record.url = created.headers.get('Location');
    await outbox.saveMedia(record);
  }
  await outbox.progress(item.id, sha256, offset, record.size, record.type);
  while (offset < record.size) {
    const part = record.data.slice(offset, offset + chunk);
    const sent = await tus(record.url, 'PATCH', state,
      { 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' }, part);
    if (sent.status === 409) {  // our offset was stale: ask the server where it stands
      const head = await tus(record.url, 'HEAD', state);
      offset = Number(head.headers.get('Upload-Offset')) || 0;
      continue;
    }
    if (sent.status !== 204) throw new UploadError('refused', await problemOf(sent));
    offset = Number(sent.headers.get('Upload-Offset')) || offset + part.byteLength;
    await outbox.progress(item.id, sha256, offset, record.size, record.type);
  }
  await outbox.saveMedia({ ...record, done: true });
}

// A voice to disguise: the whole recording in one request (tus would stage the original on the
// server's disk); the story then names the disguised file the server stored.
async function disguiseOne(record, item, state) {
  const sent = await tus(DISGUISE_URL, 'POST', state, { 'Content-Type': record.type }, record.data);
  if (sent.status !== 201) throw new UploadError('refused', await problemOf(sent));
  const { sha256 } = await sent.json();
  // Known under the new hash too (mediaPending); the phone's own copy stays the phone's.
  await outbox.saveMedia({ ...record, sha256, disguise: false, done: true });
  await outbox.renameMedia(item.id, record.sha256, sha256);
  item.data.media = item.data.media.map((h) => (h === record.sha256 ? sha256 : h));
  await outbox.forgetMedia(record.sha256, item.owner);  // now known by the new hash alone
  await outbox.progress(item.id, sha256, record.size, record.size, record.type);
}

// Upload what the item refers to. 'ok', or how the push loop should go on.
export async function uploadMedia(item, state, limits) {
  const chunk = (limits && limits.media && limits.media.chunk_bytes) || 256 * 1024;
  await outbox.markSending([item.id]);
  try {
    for (const sha256 of [...item.data.media]) await uploadOne(sha256, item, state, chunk);
    return 'ok';
  } catch (err) {
    if (!(err instanceof UploadError)) throw err;
    if (err.kind === 'network' || err.kind === 'retry') {
      if (err.kind === 'network') setNetwork('offline');
      await outbox.retryLater([item.id], (attempts) => Date.now() + backoff(attempts), err.problem);
      return 'retry';
    }
    if (err.kind === 'signin') {
      await outbox.waitForSignIn([item.id], err.problem);
      return 'stop';
    }
    await outbox.needsAttention(item.id, err.problem);
    return 'next';
  }
}

export async function mediaPending(item) {
  for (const sha256 of item.data.media || []) {
    const record = await outbox.getMedia(sha256);
    if (!record || !record.done) return true;
  }
  return false;
}
