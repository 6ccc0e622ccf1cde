// The photo and the voice recording of the story being written: made small as they are
// chosen (photo.js, recorder.js), shown with the size that will be sent, kept on the phone
// with the draft (IndexedDB 'media' store, by SHA-256) so a reload loses nothing, and handed
// to compose.js as media records when the story is sent.
import { t } from './i18n.js';
import * as db from './db.js';
import * as outbox from './outbox.js';
import { shrink, MAX_EDGE } from './photo.js';
import { el, formatBytes, showStorage } from './ui.js';

const RECORD_MAX_SECONDS = 600;  // when the server's limits are not known yet
const FIELDS = ['photo', 'audio'];

export function isQuotaError(err) {
  return Boolean(err) && (err.name === 'QuotaExceededError' || (err.inner && err.inner.name === 'QuotaExceededError'));
}

async function sha256(buffer) {
  return outbox.hex(new Uint8Array(await crypto.subtle.digest('SHA-256', buffer)));
}

// Put `file` into the file input too, so that the plain form (the fallback) sends the small
// version. Browsers without a DataTransfer constructor keep the person's original there.
function setFiles(input, file) {
  try {
    const transfer = new DataTransfer();
    if (file) transfer.items.add(file);
    input.files = transfer.files;
  } catch (err) {
    if (!file) input.value = '';
  }
}

// owner: the account; draftId(): the id of the story being written; changed(): save the draft
// (a promise); full(): the phone has no room for the file. Resolves with the handle below.
export async function mountAttachments(form, { owner, changed, full }) {
  const canKeep = Boolean(self.crypto && crypto.subtle);
  const known = await db.getMeta('limits').catch(() => null);
  const media = (known && known.limits && known.limits.media) || {};
  const maxEdge = media.image_send_max_edge || MAX_EDGE;
  const maxSeconds = media.record_max_seconds || RECORD_MAX_SECONDS;
  const chosen = new Map();  // field name -> {file, record, seconds}
  const rows = new Map();    // field name -> the row shown under its input
  let pending = Promise.resolve();
  let sending = false;  // "Send" came before the blur tool: send the photo without it
  const inputs = Object.fromEntries(FIELDS.map((name) => [name, form.querySelector(`input[type=file][name=${name}]`)]));
  const storage = el('p', { class: 'storage', 'aria-live': 'polite' });
  const last = inputs.audio || inputs.photo;
  if (last) last.closest('.field').after(storage);
  const optional = [...form.querySelectorAll('[data-optional-with-media]')];

  // A story with a photo or a recording needs no words: lift `required` while one is attached.
  const markRequired = () => {
    for (const field of optional) {
      field.required = chosen.size === 0;
      if (chosen.size) {
        field.removeAttribute('aria-invalid');
        const wrapper = field.closest('.field');
        if (wrapper) {
          wrapper.classList.remove('has-error');
          for (const note of wrapper.querySelectorAll('.error[data-client]')) note.remove();
        }
      }
    }
  };

  const showRow = (name, text, { file = null, busy = false } = {}) => {
    const input = inputs[name];
    if (rows.has(name)) rows.get(name).remove();
    rows.delete(name);
    if (!text) return;
    const row = el('div', { class: `attachment attachment-${name}`, 'data-for': name });
    if (file && name === 'photo') {
      const thumb = el('img', { class: 'thumb', alt: t('Preview of the photo') });
      const url = URL.createObjectURL(file);
      thumb.src = url;
      thumb.addEventListener('load', () => URL.revokeObjectURL(url), { once: true });
      row.append(thumb);
    }
    row.append(el('p', { class: 'media-size', role: busy ? 'status' : null, text }));
    if (!busy) {
      const remove = el('button', { type: 'button', class: 'remove',
        text: name === 'photo' ? t('Remove the photo') : t('Remove the recording') });
      remove.addEventListener('click', async () => {
        await detach(name);
        input.focus();
      });
      row.append(remove);
    }
    input.after(row);
    rows.set(name, row);
  };

  const describe = (name, file, resized) => {
    const size = formatBytes(file.size);
    if (name === 'audio') return t('Recording: %(size)s to send', { size });
    if (resized === false) {
      return t('Photo: %(size)s to send. This phone could not make it smaller, so it is sent as it is.', { size });
    }
    return t('Photo: %(size)s to send', { size });
  };

  // Keep `file` as the story's photo or recording; `stored`: its record is already on the phone.
  async function attach(name, file, { seconds = null, record = null, resized = null } = {}) {
    const before = chosen.get(name);
    const entry = { file, record, seconds };
    if (!record && canKeep) {
      const data = await file.arrayBuffer();
      entry.record = { sha256: await sha256(data), owner, type: file.type || 'application/octet-stream',
        name: file.name || name, size: data.byteLength, data, url: null, done: false, seconds };
    }
    chosen.set(name, entry);
    setFiles(inputs[name], file);
    markRequired();
    if (name === 'photo' || !recorder) showRow(name, describe(name, file, resized), { file });
    let roomy = true;
    if (entry.record && !record) {
      try {
        await outbox.saveMedia(entry.record);
      } catch (err) {
        if (!isQuotaError(err)) throw err;
        roomy = false;
        full();
      }
    }
    if (roomy) await changed();
    if (before && before.record && (!entry.record || before.record.sha256 !== entry.record.sha256)) {
      await outbox.forgetMedia(before.record.sha256, owner);
    }
    showStorage(storage);
  }

  // fromRecorder: the recorder's own "Delete and record again" (it has reset itself already).
  async function detach(name, { fromRecorder = false } = {}) {
    const before = chosen.get(name);
    chosen.delete(name);
    setFiles(inputs[name], null);
    showRow(name, '');
    if (name === 'audio' && recorder && !fromRecorder) recorder.reset();
    markRequired();
    await changed();
    if (before && before.record) await outbox.forgetMedia(before.record.sha256, owner);
    showStorage(storage);
  }

  // Every change in flight, so that "Send" waits for the photo being made small.
  const track = (work) => {
    const guarded = work.catch((err) => {
      if (isQuotaError(err)) full();
      else console.error(err);  // eslint-disable-line no-console
    });
    pending = Promise.all([pending, guarded]);
    return guarded;
  };

  if (inputs.photo) {
    inputs.photo.addEventListener('change', () => {
      const file = inputs.photo.files && inputs.photo.files[0];
      if (!file) { track(detach('photo')); return; }
      showRow('photo', t('Making the photo smaller…'), { busy: true });
      // The blur tool (#17), fetched only now; the photo is kept once it is done (or sent).
      sending = false;
      const edit = (canvas) => import('./blur.js').then((tool) => sending || tool.edit(canvas, inputs.photo)).catch(console.error);
      track(shrink(file, { maxEdge, edit }).then((made) => attach('photo', made.file, { resized: made.resized })));
    });
  }

  let recorder = null;
  if (inputs.audio) {
    // The recorder's code is fetched only where it can run.
    const module = typeof MediaRecorder === 'function' ? await import('./recorder.js') : null;
    if (module && module.canRecord()) {
      recorder = module.mount(inputs.audio.closest('.field'), {
        maxSeconds,
        owner,
        onRecorded: (file, seconds) => track(attach('audio', file, { seconds })),
        onDiscarded: () => track(detach('audio', { fromRecorder: true })),
      });
    }
    inputs.audio.addEventListener('change', () => {
      const file = inputs.audio.files && inputs.audio.files[0];
      if (!file) { track(detach('audio')); return; }
      if (recorder) recorder.show(file, null);
      track(attach('audio', file));
    });
  }

  return {
    has: () => chosen.size > 0,
    // {photo: sha256, audio: sha256}: what the draft refers to.
    refs: () => Object.fromEntries([...chosen].filter(([, e]) => e.record).map(([name, e]) => [name, e.record.sha256])),
    // Once the photo has been made small and everything is hashed.
    ready: () => { sending = true; return pending; },
    // The story's media records, photo first. A recording to disguise (the form's "disguise_voice"
    // box ticked) is marked so: it goes up in one request, not tus (upload.js, docs/sync.md).
    records: () => {
      const disguise = form.elements.namedItem('disguise_voice');
      return FIELDS.filter((name) => chosen.has(name) && chosen.get(name).record).map((name) => chosen.get(name).record)
        .map((m) => (disguise && disguise.checked && m.type.startsWith('audio/') ? { ...m, disguise: true } : m));
    },
    // Files kept with a draft, back in the form after a reload.
    async restore(refs) {
      for (const [name, hash] of Object.entries(refs || {})) {
        if (!inputs[name]) continue;
        const record = await outbox.getMedia(hash);
        if (!record) continue;
        const file = new File([record.data], record.name, { type: record.type });
        if (name === 'audio' && recorder) recorder.show(file, record.seconds);
        await attach(name, file, { record, seconds: record.seconds || null });
      }
    },
    // The story went to the outbox (which now holds the records): start afresh.
    clear() {
      for (const name of FIELDS) {
        if (inputs[name]) setFiles(inputs[name], null);
        showRow(name, '');
      }
      chosen.clear();
      if (recorder) recorder.reset();
      markRequired();
    },
  };
}
