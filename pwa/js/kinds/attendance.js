// Who came to an event and which stories were told there (docs/sync.md: `attendance`, one per
// event, and `attendance_story`, one per story told), recorded by a facilitator at the session,
// often with no signal. Pulled ones are kept as records. The form on /events/<id>/attendance
// becomes one attendance item and one item per story line that changed.
import { newId } from '../outbox.js';

export { stores, apply, reset } from './records.js';

// The counted dimensions (docs/sync.md, attendance: "tallies"); a person's answers are the
// selects <dimension>-<account id>, the counts the inputs <dimension>_<value>.
const DIMENSIONS = ['gender', 'age', 'origin'];
const TALLY = new RegExp(`^(${DIMENSIONS.join('|')})_(.+)$`);
const PRESENT = /^present-(\d+)$/;

function number(text) {
  const value = String(text || '').trim();
  return value === '' ? null : Number(value);
}

function attendeesOf(form) {
  const attendees = [];
  for (const box of form.elements) {
    const present = PRESENT.exec(box.name || '');
    if (!present || !box.checked) continue;
    const account = Number(present[1]);
    const answer = {};
    for (const dimension of DIMENSIONS) {
      const select = form.elements.namedItem(`${dimension}-${account}`);
      answer[dimension] = select && select.value ? select.value : null;
    }
    attendees.push({ account, ...answer });
  }
  return attendees;
}

function talliesOf(form) {
  const tallies = {};
  for (const dimension of DIMENSIONS) tallies[dimension] = {};
  for (const field of form.elements) {
    const tally = TALLY.exec(field.name || '');
    if (tally && field.tagName === 'INPUT') tallies[tally[1]][tally[2]] = number(field.value) || 0;
  }
  return tallies;
}

// The form as outbox items: the attendance, then a line per story ticked (upsert) and per story
// unticked that the page showed ticked (delete). Ids are the page's (data-record-id).
export function itemsFromForm(form) {
  const event = Number(form.dataset.event);
  form.dataset.recordId = form.dataset.recordId || newId();
  const items = [{
    type: 'attendance',
    id: form.dataset.recordId,
    baseEtag: form.dataset.baseEtag || null,
    data: { event, head_count: number(form.elements.namedItem('head_count').value),
      attendees: attendeesOf(form), tallies: talliesOf(form) },
  }];
  for (const box of form.querySelectorAll('input[type=checkbox][name=told]')) {
    if (!box.checked && !box.defaultChecked) continue;
    box.dataset.recordId = box.dataset.recordId || newId();
    items.push({ type: 'attendance_story', id: box.dataset.recordId, op: box.checked ? 'upsert' : 'delete',
      data: { event, story: box.value } });
  }
  return items;
}
