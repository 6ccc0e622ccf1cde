// A report of a story (docs/sync.md): pulled by its reporter's other devices and the story's
// moderators, kept as a record.
export { stores, apply } from './records.js';
