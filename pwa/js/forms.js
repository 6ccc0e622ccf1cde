// Forms of the other record kinds (`form[data-outbox-kind]`: a translation, an event's
// attendance, a help request) saved on the phone first, with or without signal, then sent by the outbox like a
// story (the story form is compose.js's). The server's page stays a plain form that works on
// its own; this only takes over its submit. The kind's module (kinds.js) turns the form into
// outbox items; this module says what becomes of them.
import { t } from './i18n.js';
import { load } from './kinds.js';
import * as outbox from './outbox.js';
import { el, offlineBanner } from './ui.js';

function refusal(error) {
  if (error && error.code === 'conflict') {
    return t('Someone else changed this in the meantime. Open the page again to see their version, then save yours.');
  }
  return (error && error.message) || t('The server did not accept this. Please check the form and save it again.');
}

// Take over one form. `onQueued()` starts the push; `onNetwork(fn)` and `networkState()` are
// what the sync knows of the network (net.js). Resolves with the form, or null when this shell
// does not know its kind (the plain form then posts as before).
export async function enhance(form, { owner, onQueued, onNetwork, networkState }) {
  const kind = await load(form.dataset.outboxKind);
  if (!kind || !kind.itemsFromForm) return null;
  const status = el('p', { class: 'compose-status', role: 'status', 'aria-live': 'polite' });
  form.prepend(status);
  // state: 'saved' (on the phone), 'sent' or 'refused'; tests wait on it, whatever the language.
  const say = (text, state) => {
    status.textContent = text;
    status.dataset.state = state;
    status.classList.toggle('compose-status-problem', state === 'refused');
    if (text) status.scrollIntoView({ block: 'nearest' });
  };
  let following = [];  // the ids saved last, until all are sent or one is refused
  // A reply or help by voice: recorded in the app (attach.js, as for a story), kept on the phone
  // and queued with the item; push.js uploads it first (upload.js), the record names its hash.
  const media = form.querySelector('input[type=file][name=audio]')
    ? await (await import('./attach.js')).mountAttachments(form, { owner, changed: async () => {},
      full: () => say(t('This phone could not keep it. What you entered is still here: save it when there is signal.'), 'refused') })
    : null;

  const follow = async () => {
    if (!following.length) return;
    const ids = following;
    const waiting = (await Promise.all(ids.map((id) => outbox.get(id)))).filter(Boolean);
    if (ids !== following) return;
    const refused = waiting.find((item) => item.state === 'attention');
    if (refused) {
      following = [];
      say(refusal(refused.lastError), 'refused');
    } else if (!waiting.length) {
      following = [];
      // A second save from this page builds on the version the server now has.
      const sent = await outbox.getSent(ids[0]);
      if (sent && sent.etag) form.dataset.baseEtag = sent.etag;
      say(t('Sent'), 'sent');
    }
  };
  outbox.onChange(follow);

  // A page saved on the phone may be opened again before what it sent has gone.
  const own = await outbox.get(form.dataset.recordId || '');
  if (own && own.owner === owner) {
    following = [own.id];
    say(t('Saved on this phone — it will be sent when there is signal'), 'saved');
    follow();
  }

  offlineBanner(t('No signal. What you save here is kept on this phone and sent when there is signal.'),
    onNetwork, networkState());

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (media) await media.ready();
    // Personal data in a translation or reply (#17, disclosure.js): pointed out, never blocked.
    if (form.dataset.pii != null && [...form.querySelectorAll('[name=title],[name=body]')].some((f) => f.value.trim())
      && await import('./disclosure.js').then((m) => m.held(form)).catch(() => false)) return;
    // A voice to disguise goes up in one request, as a story's does (upload.js; attach.js marks it).
    const files = media ? media.records() : [];
    // A file this phone cannot keep (no Web Crypto on plain http): with signal the plain form
    // posts it through the server's media checks; without, it stays in the form for later.
    if (!files.length && [...form.querySelectorAll('input[type=file]')].some((input) => input.files && input.files.length)) {
      if (navigator.onLine !== false) form.submit();
      else say(t('A recording can be sent only with signal. Your words and the recording are still here: send them when there is signal.'), 'refused');
      return;
    }
    const entries = kind.itemsFromForm(form, files.map((file) => file.sha256));
    if (!entries.length) {  // nothing to send yet (an empty message): the browser says what is missing
      form.reportValidity();
      return;
    }
    let items;
    try {
      items = await outbox.enqueue(entries, { owner, media: files });
    } catch (err) {
      // No room or no IndexedDB after all: with signal the plain form still works.
      if (navigator.onLine !== false) form.submit();
      else say(t('This phone could not keep it. What you entered is still here: save it when there is signal.'), 'refused');
      return;
    }
    // What is saved is now what the page shows: unticking a box later removes its line.
    for (const box of form.querySelectorAll('input[type=checkbox]')) box.defaultChecked = box.checked;
    following = items.map((item) => item.id);
    say(t('Saved on this phone — it will be sent when there is signal'), 'saved');
    form.dispatchEvent(new CustomEvent('kultialogo:queued', { detail: { ids: following } }));
    // A kind that empties its form for the next one (help) lets the recording go too; one that
    // keeps it (a reply: saving again is the same reply) keeps the recording with its words.
    if (media && !form.dataset.recordId) media.clear();
    onQueued();
  });
  // A kind may show on the page what it saved (kinds/help.js: the waiting messages in the thread).
  if (kind.mount) kind.mount(form, { owner });
  // Tests and other modules wait for this mark, not for time.
  form.dataset.enhanced = '';
  return form;
}
