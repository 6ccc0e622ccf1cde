// Enhances the server's /write form (it keeps working without JavaScript): the draft is
// saved on the phone as the person types, and "Send" puts the story in the outbox at once,
// with or without signal, then shows what happens to it.
import { t } from './i18n.js';
import * as outbox from './outbox.js';
import { el, askToKeepData, reasonOf } from './ui.js';

// Form fields that are not part of what the person wrote.
const NOT_CONTENT = new Set(['csrf_token', 'id', 'base_etag']);
const CLEARED_AFTER_SEND = ['title', 'body', 'place'];
const SAVE_AFTER_MS = 400;  // typing pause before the draft is written; pagehide writes at once
// Where the API's error field names live in the form (the rest share their names).
const FORM_NAME = { 'consent.guardian': 'guardian_consent' };

// Every field as the person left it: {name: text} and {name: true|false} for checkboxes.
function read(form) {
  const fields = {};
  for (const field of form.elements) {
    if (!field.name || NOT_CONTENT.has(field.name) || field.disabled) continue;
    if (field.type === 'checkbox') fields[field.name] = field.checked;
    else if (field.type === 'radio') { if (field.checked) fields[field.name] = field.value; }
    else if (field.type !== 'submit' && field.type !== 'button') fields[field.name] = field.value;
  }
  return fields;
}

function fill(form, fields) {
  for (const field of form.elements) {
    if (!field.name || !(field.name in fields) || NOT_CONTENT.has(field.name)) continue;
    const value = fields[field.name];
    if (field.type === 'checkbox') field.checked = Boolean(value);
    else if (field.type === 'radio') field.checked = field.value === value;
    else field.value = value;
  }
}

// The story as the sync API takes it, from the form's fields: the same mapping as the
// server's /write route (server/stories/routes.py). Fields the form lacks are left out, so
// the server's defaults apply; the "check_*" boxes are reminders and are not stored.
function toStory(fields) {
  const story = {};
  for (const name of ['title', 'body', 'language', 'community', 'visibility', 'author_display', 'place']) {
    if (name in fields) story[name] = fields[name];
  }
  if ('about_minor' in fields) story.about_minor = Boolean(fields.about_minor);
  if (fields.event) story.event = Number(fields.event);  // "Told at event": an event id, or none
  if ('guardian_consent' in fields) story.consent = { kind: 'self', guardian: Boolean(fields.guardian_consent) };
  return story;
}

function hasText(form) {
  return CLEARED_AFTER_SEND.some((name) => {
    const field = form.elements.namedItem(name);
    return field && typeof field.value === 'string' && field.value.trim() !== '';
  });
}

function clearErrors(form) {
  for (const node of form.querySelectorAll('.error[data-client]')) node.remove();
  for (const node of form.querySelectorAll('[aria-invalid="true"][data-client-invalid]')) {
    node.removeAttribute('aria-invalid');
    node.removeAttribute('data-client-invalid');
    node.closest('.field').classList.remove('has-error');
  }
}

function markField(field, message) {
  const wrapper = field.closest('.field');
  if (wrapper) wrapper.classList.add('has-error');
  field.setAttribute('aria-invalid', 'true');
  field.setAttribute('data-client-invalid', '');
  const note = el('p', { class: 'error', role: 'alert', 'data-client': '', text: message });
  field.insertAdjacentElement('afterend', note);
}

async function sha256(buffer) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', buffer));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

// The chosen files as media records for the outbox (bytes as ArrayBuffer), in form order.
async function readMedia(inputs, owner) {
  const records = [];
  for (const input of inputs) {
    for (const file of input.files) {
      const data = await file.arrayBuffer();
      const hash = await sha256(data);
      if (records.some((r) => r.sha256 === hash)) continue;
      records.push({ sha256: hash, owner, type: file.type || 'application/octet-stream', name: file.name || 'file',
        size: data.byteLength, data, url: null, done: false });
    }
  }
  return records;
}

// The server's own constraints on the form (required), nothing repeated in JS: an empty
// story is not worth a trip to the outbox. Lengths are the server's to check.
function check(form) {
  clearErrors(form);
  let first = null;
  for (const field of form.querySelectorAll('[required]')) {
    if (field.value.trim() === '') {
      markField(field, t('Please fill in this field.'));
      first = first || field;
    }
  }
  if (first) first.focus();
  return !first;
}

// Turn the form into the enhanced one. `owner` is the signed-in account; `onQueued(item)` runs
// after a story is in the outbox (the caller starts the push). Resolves with a small handle.
export async function enhance(form, { owner, onQueued }) {
  const idField = form.elements.namedItem('id');
  const etagField = form.elements.namedItem('base_etag');
  if (!idField) return null;
  const status = el('p', { class: 'compose-status', role: 'status', 'aria-live': 'polite' });
  form.prepend(status);
  let fixing = null;

  // "Fix it and send it again" links here with #fix=<id>: the refused story in the form.
  const loadFix = async () => {
    const fix = /^#fix=([0-9a-f-]{36})$/.exec(location.hash);
    if (!fix) return false;
    const item = await outbox.get(fix[1]);
    if (!item || item.owner !== owner) return false;
    fixing = item;
    clearErrors(form);
    fill(form, item.fields || item.data);
    idField.value = item.id;
    const error = item.lastError || {};
    const name = error.field ? (FORM_NAME[error.field] || error.field.split('.')[0]) : null;
    const field = name ? form.elements.namedItem(name) : null;
    if (field && field.closest && field.closest('.field')) markField(field, reasonOf(error));
    else status.textContent = reasonOf(error);
    (field && field.focus ? field : form).scrollIntoView({ block: 'center' });
    return true;
  };
  if (!(await loadFix())) {
    const draft = await outbox.latestDraft(owner);
    if (draft && !(await outbox.isUsed(draft.id))) {
      fill(form, draft.fields);
      idField.value = draft.id;
      status.textContent = t('Your draft was restored.');
    }
  }
  addEventListener('hashchange', async () => {
    if (fixing === null && hasText(form)) await save();  // keep what was being typed as a draft
    await loadFix();
  });
  // A page from the phone's cache carries the id the server made when it was cached.
  if (!fixing && (!idField.value || (await outbox.isUsed(idField.value)))) idField.value = outbox.newId();

  let timer = null;
  const save = async () => {
    clearTimeout(timer);
    timer = null;
    if (fixing) return;  // the text lives in the outbox item until it is sent again
    if (hasText(form)) await outbox.saveDraft(idField.value, owner, read(form));
    else await outbox.dropDraft(idField.value);
  };
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(save, SAVE_AFTER_MS);
  };
  form.addEventListener('input', soon);
  form.addEventListener('change', soon);
  addEventListener('pagehide', save);
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') save(); });

  form.addEventListener('submit', async (event) => {
    // Photos and recordings are kept on the phone with the story when the browser can hash
    // them (crypto.subtle needs a secure context); on plain http they go with the plain form.
    const inputs = [...form.querySelectorAll('input[type=file]')].filter((input) => input.files && input.files.length);
    const canKeep = Boolean(self.crypto && crypto.subtle);
    if (inputs.length && !canKeep && navigator.onLine !== false) {
      clearTimeout(timer);
      outbox.dropDraft(idField.value);
      return;
    }
    event.preventDefault();
    if (inputs.length && !canKeep) {
      status.textContent = t('Photos and recordings need signal here. Send the story when there is signal, or remove them to keep the story on this phone now.');
      return;
    }
    if (!check(form)) return;
    clearTimeout(timer);
    const baseEtag = fixing && fixing.lastError && fixing.lastError.code === 'conflict'
      ? fixing.lastError.serverEtag : null;
    let item;
    try {
      const media = await readMedia(inputs, owner);
      const data = toStory(read(form));
      if (media.length) data.media = media.map((m) => m.sha256);
      else if (fixing && fixing.data.media) data.media = fixing.data.media;  // kept from before
      item = await outbox.enqueue({ id: idField.value, owner, data, fields: read(form), baseEtag, media });
    } catch (err) {
      // No room or no IndexedDB after all: the plain form still works.
      form.submit();
      return;
    }
    fixing = null;
    for (const name of CLEARED_AFTER_SEND) {
      const field = form.elements.namedItem(name);
      if (field && 'value' in field) field.value = '';
    }
    for (const box of form.querySelectorAll('input[type=checkbox]')) box.checked = false;
    for (const input of form.querySelectorAll('input[type=file]')) input.value = '';
    idField.value = outbox.newId();
    if (etagField) etagField.value = '';
    if (location.hash) history.replaceState(null, '', location.pathname);
    status.textContent = t('Your story is saved on this phone. It is sent as soon as there is signal.');
    askToKeepData();
    if (onQueued) onQueued(item);
  });

  return { save, isWriting: () => hasText(form) };
}
