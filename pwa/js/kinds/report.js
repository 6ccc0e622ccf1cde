// A report of a story (docs/sync.md): pulled by its reporter's other devices and the story's
// moderators, kept as a record. The "Report this story" form (moderation/_report.html) becomes
// one outbox item, so a report written with no signal is sent later, once.
import { newId } from '../outbox.js';

export { stores, apply, reset } from './records.js';

export function itemsFromForm(form) {
  // One id per form: saving twice from this page is the same report (the server says unchanged).
  if (!form.dataset.recordId) form.dataset.recordId = newId();
  const reason = form.querySelector('input[name=reason]:checked');
  const note = form.elements.namedItem('note');
  return [{
    type: 'report',
    id: form.dataset.recordId,
    baseEtag: null,
    data: { story: form.dataset.story, reason: reason ? reason.value : '', note: note ? note.value : '' },
  }];
}
