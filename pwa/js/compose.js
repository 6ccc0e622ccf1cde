// Enhances the server's /write form (it keeps working without JavaScript): the draft is
// saved on the phone as the person types, and "Send" puts the story in the outbox at once,
// with or without signal, then shows what happens to it.
import { t } from './i18n.js';
import * as outbox from './outbox.js';
import { el, askToKeepData, reasonOf } from './ui.js';
import { mountAttachments, isQuotaError } from './attach.js';

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
    // A file input's value cannot be set back (attach.js keeps the files themselves).
    else if (!['submit', 'button', 'file'].includes(field.type)) fields[field.name] = field.value;
  }
  return fields;
}

function fill(form, fields) {
  for (const field of form.elements) {
    if (!field.name || !(field.name in fields) || NOT_CONTENT.has(field.name) || field.type === 'file') continue;
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

// The server's own constraints on the form (required), nothing repeated in JS: an empty
// story is not worth a trip to the outbox. Lengths are the server's to check.
function check(form) {
  clearErrors(form);
  let first = null;
  for (const field of form.querySelectorAll('[required]')) {
    if (field.type !== 'file' && field.value.trim() === '') {
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
  // Never a silent drop: the person is told, and the words stay in the form and the draft.
  const full = () => {
    status.textContent = t('This phone is full: free some space or remove a photo; your text is kept.');
    status.classList.add('compose-status-problem');
    status.scrollIntoView({ block: 'nearest' });
  };
  const say = (text) => {
    status.textContent = text;
    status.classList.remove('compose-status-problem');
  };
  let save = async () => {};
  // Until the story just queued is acknowledged: then "sent", the one true thing to say.
  let following = null;
  const follow = (id) => {
    following = id;
    say(t('Your story is saved on this phone. It is sent as soon as there is signal.'));
  };
  outbox.onChange(async () => {
    if (!following) return;
    const id = following;
    const { sent } = await outbox.list(owner);
    if (following === id && sent.some((s) => s.id === id)) {
      following = null;
      say(t('Your story was sent.'));
    }
  });
  const media = await mountAttachments(form, { owner, changed: () => save(), full });
  const hasContent = () => hasText(form) || media.has();

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
    else say(reasonOf(error));
    (field && field.focus ? field : form).scrollIntoView({ block: 'center' });
    return true;
  };
  let restored = false;
  if (!(await loadFix())) {
    const draft = await outbox.latestDraft(owner);
    if (draft && !(await outbox.isUsed(draft.id))) {
      restored = true;
      fill(form, draft.fields);
      idField.value = draft.id;
      await media.restore(draft.media);
      say(t('Your draft was restored.'));
    }
  }
  addEventListener('hashchange', async () => {
    if (fixing === null && hasContent()) await save();  // keep what was being typed as a draft
    await loadFix();
  });
  // A new story gets an id made now, on the phone: the page's own (made by the server when it
  // was cached, perhaps days ago) would tell when that was, or be one already used.
  if (!fixing && !restored) idField.value = outbox.newId(true);

  let timer = null;
  save = async () => {
    clearTimeout(timer);
    timer = null;
    if (fixing) return;  // the text lives in the outbox item until it is sent again
    try {
      if (hasContent()) await outbox.saveDraft(idField.value, owner, read(form), media.refs());
      else await outbox.dropDraft(idField.value);
    } catch (err) {
      if (isQuotaError(err)) full();  // the words are still in the form
      else throw err;
    }
  };
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(save, SAVE_AFTER_MS);
  };
  form.addEventListener('input', soon);
  form.addEventListener('change', (e) => {
    soon();
    // Disguise the voice unless the author shows their name (the person can still change it).
    const box = form.elements.disguise_voice;
    if (box && e.target.name == 'author_display') box.checked = e.target.value != 'name';
  });
  addEventListener('pagehide', save);
  document.addEventListener('visibilitychange', () => { if (document.hidden) save(); });

  form.addEventListener('submit', async (event) => {
    // Photos and recordings are kept on the phone with the story when the browser can hash
    // them (crypto.subtle needs a secure context); on plain http they go with the plain form.
    const hasFiles = media.has() || [...form.querySelectorAll('input[type=file]')].some((input) => input.files && input.files.length);
    const canKeep = Boolean(self.crypto && crypto.subtle);
    const online = navigator.onLine !== false;
    event.preventDefault();
    if (hasFiles && !canKeep) {
      if (!online) {
        say(t('Photos and recordings need signal here. Send the story when there is signal, or remove them to keep the story on this phone now.'));
        return;
      }
      await media.ready();  // the photo made small goes in the plain form
      clearTimeout(timer);
      await outbox.dropDraft(idField.value).catch(() => {});
      form.submit();
      return;
    }
    await media.ready();
    if (!check(form)) return;
    // Personal data in the words (#17): pointed out, kept, removed or replaced; never blocked.
    if (hasText(form) && await import('./disclosure.js').then((m) => m.held(form)).catch(() => false)) return;
    clearTimeout(timer);
    const baseEtag = fixing && fixing.lastError && fixing.lastError.code === 'conflict'
      ? fixing.lastError.serverEtag : null;
    let item;
    try {
      // A recording to disguise goes up in one request, not tus (attach.js marks it).
      const records = media.records();
      const data = toStory(read(form));
      if (records.length) data.media = records.map((m) => m.sha256);
      else if (fixing && fixing.data.media) data.media = fixing.data.media;  // kept from before
      // The first time it was queued is when it was written: kept if it is queued again.
      data.created_at = new Date().toISOString();
      // Last, just before it is queued: a public story with a photo or a recording is shown back
      // as others will see and hear it (#17, consent.js, loaded only then). "Go back": kept as it is.
      if (data.visibility === 'public' && records.length && !(await (await import('./consent.js')).confirm(form, data, records))) return;
      item = await outbox.enqueue({ type: 'story', id: idField.value, data, fields: read(form), baseEtag, keep: ['created_at'] },
        { owner, drafts: [idField.value], media: records });
    } catch (err) {
      if (online) {
        // No room or no IndexedDB after all: with signal the plain form still works.
        await outbox.dropDraft(idField.value).catch(() => {});
        form.submit();
        return;
      }
      // No signal either: the words stay in the form (and in the draft, if it fits).
      if (isQuotaError(err)) full();
      else say(t('This phone could not keep the story. Your text is still here: send it when there is signal.'));
      await save();
      return;
    }
    fixing = null;
    for (const name of CLEARED_AFTER_SEND) {
      const field = form.elements.namedItem(name);
      if (field && 'value' in field) field.value = '';
    }
    for (const box of form.querySelectorAll('input[type=checkbox]')) box.checked = false;
    media.clear();
    idField.value = outbox.newId(true);
    if (etagField) etagField.value = '';
    if (location.hash) history.replaceState(null, '', location.pathname);
    askToKeepData();
    // voice.js shows and speaks the big "saved on this phone / sent" state where it runs; then
    // that is the one message, and this line stays empty (two lines once said both "will be
    // sent" and "sent"). Without it, this line says the same and follows the story until sent.
    form.dispatchEvent(new CustomEvent('kultialogo:queued', { detail: { id: item.id } }));
    const done = document.querySelector('.voice-done');
    if (done && !done.hidden) say('');
    else follow(item.id);
    if (onQueued) onQueued(item);
  });

  // From here Send stays on this page (until now a tap posted the plain form, which works too):
  // tests and the other modules wait for this mark, not for time.
  form.dataset.enhanced = '';
  return { save: () => save() };
}
