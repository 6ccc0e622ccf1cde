// Replies to stories (docs/sync.md): pulled ones kept as records (a tombstone deletes). The reply
// form under a story (server/templates/replies/_panel.html) becomes one outbox item, so a reply
// written with no signal is sent once there is signal, once.
import { newId } from '../outbox.js';

export { stores, apply, reset } from './records.js';

// The form as one `reply` item. Its id is made here and kept on the form (and in its hidden
// `id` field, which the plain form posts too): saving the same words (and recording) again is the
// same reply; others are a new reply (the server refuses an id sent again with other content).
// `media`: the SHA-256 of the recording made in the app (forms.js), uploaded before the reply.
export function itemsFromForm(form, media = []) {
  const body = form.elements.namedItem('body');
  const data = { story: form.dataset.story, body: body ? body.value : '' };
  if (media.length) data.media = media;
  const made = JSON.stringify(data);
  if (!form.dataset.recordId || form.dataset.madeFor !== made) {
    form.dataset.recordId = newId();
    form.dataset.madeFor = made;
  }
  const id = form.elements.namedItem('id');
  if (id) id.value = form.dataset.recordId;
  return [{ type: 'reply', id: form.dataset.recordId, baseEtag: null, data }];
}
