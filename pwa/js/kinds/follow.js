// What the person follows (docs/sync.md, `follow`): only their own, kept as pulled records; an
// unfollow comes as a tombstone. activity.js reads them to tell new stories apart.
export { stores, apply } from './records.js';
