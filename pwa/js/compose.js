// Enhances the server's /write form (it keeps working without JavaScript): the draft is
// saved on the phone as the person types, and "Send" puts the story in the outbox at once,
// with or without signal, then shows what happens to it.
import { t } from './i18n.js';
import * as outbox from './outbox.js';
import { el, askToKeepData, reasonOf } from './ui.js';

const CONTENT = ['title', 'body', 'language', 'community', 'visibility', 'author_display'];
const CLEARED_AFTER_SEND = ['title', 'body'];
const SAVE_AFTER_MS = 400;  // typing pause before the draft is written; pagehide writes at once

function read(form) {
  const data = {};
  const values = new FormData(form);
  for (const name of CONTENT) {
    if (values.has(name)) data[name] = String(values.get(name));
  }
  return data;
}

function fill(form, data) {
  for (const name of CONTENT) {
    if (!(name in data)) continue;
    const field = form.elements.namedItem(name);
    if (!field) continue;
    if (field instanceof RadioNodeList || field.type === 'radio') {
      for (const option of form.querySelectorAll(`[name="${name}"]`)) option.checked = option.value === data[name];
    } else {
      field.value = data[name];
    }
  }
}

function hasText(form) {
  return CLEARED_AFTER_SEND.some((name) => {
    const field = form.elements.namedItem(name);
    return field && field.value.trim() !== '';
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

  const fix = /^#fix=([0-9a-f-]{36})$/.exec(location.hash);
  if (fix) {
    const item = await outbox.get(fix[1]);
    if (item && item.owner === owner) {
      fixing = item;
      fill(form, item.data);
      idField.value = item.id;
      const error = item.lastError || {};
      const field = error.field ? form.elements.namedItem(error.field.split('.')[0]) : null;
      if (field && field.closest) markField(field, reasonOf(error));
      else status.textContent = reasonOf(error);
    }
  } else {
    const draft = await outbox.latestDraft(owner);
    if (draft && !(await outbox.isUsed(draft.id))) {
      fill(form, draft.fields);
      idField.value = draft.id;
      status.textContent = t('Your draft was restored.');
    }
  }
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
    event.preventDefault();
    if (!check(form)) return;
    clearTimeout(timer);
    const baseEtag = fixing && fixing.lastError && fixing.lastError.code === 'conflict'
      ? fixing.lastError.serverEtag : null;
    let item;
    try {
      item = await outbox.enqueue({ id: idField.value, owner, data: read(form), baseEtag });
    } catch (err) {
      // No room or no IndexedDB after all: the plain form still works.
      form.submit();
      return;
    }
    fixing = null;
    for (const name of CLEARED_AFTER_SEND) {
      const field = form.elements.namedItem(name);
      if (field) field.value = '';
    }
    idField.value = outbox.newId();
    if (etagField) etagField.value = '';
    if (location.hash) history.replaceState(null, '', location.pathname);
    status.textContent = t('Your story is saved on this phone. It is sent as soon as there is signal.');
    askToKeepData();
    if (onQueued) onQueued(item);
  });

  return { save, isWriting: () => hasText(form) };
}
