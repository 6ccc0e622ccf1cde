// Help requests and the messages of their private thread (docs/sync.md: `help_request`,
// `help_message`), written with no signal on /help and /help/<id> (templates/help/) and sent by
// the outbox like a story. Written only: never pulled, so a request never sits on a phone that
// does not need it (the pages are read online, or as the phone last saved them).
// The page shows what this phone wrote and the server's page does not hold yet: waiting, sent
// (then a request links to its page) or refused, with the server's reason.
import { t } from '../i18n.js';
import * as outbox from '../outbox.js';
import { el } from '../ui.js';

const REQUEST = 'help_request';

function value(form, name) {
  const field = form.elements.namedItem(name);
  return field ? (field.value || '').trim() : '';
}

// The chosen radio's label, as the page wrote it in the person's language.
function chosenLabel(form, name) {
  const chosen = form.querySelector(`input[name="${name}"]:checked`);
  const label = chosen && chosen.closest('label');
  return label ? label.textContent.trim() : '';
}

// The form as one item. A new id for each request or message (made here, not the page's: a
// page kept on the phone would give every request the same one); the same id again while
// the form still holds what was saved, so saving twice is one request. `shown`: what the page
// shows of it until the server's page holds it (the topic as the page named it, the words).
// `media`: the SHA-256 of a recording made in the app (forms.js); then the words may be left out.
export function itemsFromForm(form, media = []) {
  const body = value(form, 'body');
  if (!body && !media.length) return [];  // nothing to send: forms.js lets the browser say what is missing
  const kind = form.dataset.outboxKind;
  const data = kind === REQUEST ? requestData(form, body) : { request: form.dataset.request, body };
  if (media.length) data.media = media;
  const saved = JSON.stringify(data);
  if (!form.dataset.recordId || form.dataset.savedAs !== saved) form.dataset.recordId = outbox.newId();
  form.dataset.savedAs = saved;
  const shown = kind === REQUEST ? { body, topic: chosenLabel(form, 'topic') } : { body, request: data.request };
  return [{ type: kind, id: form.dataset.recordId, baseEtag: null, data, shown }];
}

function requestData(form, body) {
  const data = { community: value(form, 'community'), topic: value(form, 'topic'),
    language: value(form, 'language'), body };
  // A facilitator at a session: "<community>:<the person's uid>", and how the person agreed.
  const behalf = value(form, 'on_behalf');
  if (behalf) {
    const [community, uid] = behalf.split(':');
    Object.assign(data, { community, on_behalf_of: uid, consent: { kind: value(form, 'consent_kind') || 'verbal' } });
  }
  return data;
}

// --- What the page shows of them --------------------------------------------------------

function entry(kind, item, sent) {
  const shown = item.shown || {};
  const state = sent ? 'sent' : item.state === 'attention' ? 'refused' : 'saved';
  const note = state === 'sent' ? t('Sent')
    : state === 'refused' ? ((item.lastError && item.lastError.message) || t('The server did not accept this. Please check the form and save it again.'))
      : t('Saved on this phone — it will be sent when there is signal');
  if (kind === REQUEST) {
    const topic = sent ? el('a', { href: `/help/${item.id}`, text: shown.topic || t('Sent') }) : el('span', { text: shown.topic });
    return el('li', { 'data-id': item.id, 'data-state': state }, topic, ' · ', el('span', { class: 'note', text: note }));
  }
  return el('li', { class: 'help-message from-me', 'data-id': item.id, 'data-state': state },
    el('p', { class: 'who note', text: note }),
    el('div', { class: 'text', dir: 'auto', text: shown.body || '' }));
}

// The records of this kind this phone wrote and the page does not show: waiting ones first.
async function mine(form, owner) {
  const kind = form.dataset.outboxKind;
  const { waiting, sent } = await outbox.list(owner, kind);
  const here = (item) => kind === REQUEST || (item.shown && item.shown.request === form.dataset.request);
  const onPage = (id) => document.querySelector(`[data-id="${id}"]:not([data-mine])`);
  return [...waiting.filter(here).map((item) => [item, false]), ...sent.filter(here).map((s) => [s, true])]
    .filter(([item]) => !onPage(item.id));
}

// Refused (closed meanwhile, too many at once): its words go back into an empty form, under
// the same id, so that sending again is that one record, not a second.
function restore(form, row) {
  const body = form.elements.namedItem('body');
  if (!row || !body || body.value || form.dataset.recordId) return;
  const [item] = row;
  body.value = item.data.body || '';
  form.dataset.recordId = item.id;
  form.dataset.savedAs = JSON.stringify(item.data);
}

// Called once by forms.js for each form of these kinds.
export function mount(form, { owner }) {
  const kind = form.dataset.outboxKind;
  // The person's requests (hidden while there are none) or the request's thread.
  const section = kind === REQUEST ? document.getElementById('help-mine') : null;
  const list = section ? section.querySelector('ul') : document.querySelector('.help-thread');
  if (!list) return;
  const render = async () => {
    const rows = await mine(form, owner);
    for (const old of list.querySelectorAll('li[data-mine]')) old.remove();
    for (const [item, sent] of rows) {
      const node = entry(kind, item, sent);
      node.dataset.mine = '';
      list.append(node);
    }
    if (section) section.hidden = !list.children.length;
    restore(form, rows.find(([item, sent]) => !sent && item.state === 'attention'));
  };
  outbox.onChange(render);
  render();
  // Saved: the form is empty again for the next request or message.
  form.addEventListener('kultialogo:queued', () => {
    const body = form.elements.namedItem('body');
    if (body) body.value = '';
    delete form.dataset.recordId;
    delete form.dataset.savedAs;
  });
}
