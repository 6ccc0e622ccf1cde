// What the person follows (docs/sync.md, `follow`): only their own, kept as pulled records; an
// unfollow comes as a tombstone. activity.js reads them to tell new stories apart. A "Follow"
// button (activity/_follow.html) becomes one outbox item, so following works with no signal;
// following twice is one follow on the server (unchanged).
import { newId } from '../outbox.js';

export { stores, apply, reset } from './records.js';

export function itemsFromForm(form) {
  if (!form.dataset.recordId) form.dataset.recordId = newId();
  const { community, story } = form.dataset;
  return [{ type: 'follow', id: form.dataset.recordId, baseEtag: null, data: community ? { community } : { story } }];
}
