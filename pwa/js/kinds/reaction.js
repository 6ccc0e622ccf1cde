// Reactions to stories (docs/sync.md): pulled ones kept as records (a tombstone deletes); the
// reaction buttons stay plain forms.
export { stores, apply, reset } from './records.js';
