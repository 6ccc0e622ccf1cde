// Replies to stories (docs/sync.md): pulled ones kept as records (a tombstone deletes). The reply
// form under a story (server/templates/replies/_panel.html) becomes one outbox item, so a reply
// written with no signal is sent once there is signal, once.
import { newId } from '../outbox.js';

export { stores, apply } from './records.js';

// The form as one `reply` item. Its id is made here and kept on the form (and in its hidden
// `id` field, which the plain form posts too): saving the same words again is the same reply; other
// words are a new reply (the server refuses an id sent again with other words).
export function itemsFromForm(form) {
  const body = form.elements.namedItem('body');
  const words = body ? body.value : '';
  if (!form.dataset.recordId || form.dataset.madeFor !== words) {
    form.dataset.recordId = newId();
    form.dataset.madeFor = words;
  }
  const id = form.elements.namedItem('id');
  if (id) id.value = form.dataset.recordId;
  return [{ type: 'reply', id: form.dataset.recordId, baseEtag: null, data: { story: form.dataset.story, body: words } }];
}
