// The record kinds this phone knows (docs/sync.md): type -> its module in kinds/, loaded only
// when a pull brings that kind or a form of it is on the page. Each module exports `stores`
// (the IndexedDB stores its applier writes) and `apply(tx, items)`, which writes a pull page's
// items of its kind inside the pull's one transaction (db.transact) and may resolve with a
// function to run after the commit; a kind with a form also exports `itemsFromForm(form)`, and
// one whose records the phone keeps exports `reset(tx)`, which drops them all when the server
// answers a pull with "reset" (the person may now see more or less; pull.js).
// A new kind is one module and one line here.
const KINDS = {
  story: () => import('./kinds/story.js'),
  translation: () => import('./kinds/translation.js'),
  attendance: () => import('./kinds/attendance.js'),
  attendance_story: () => import('./kinds/attendance.js'),
  report: () => import('./kinds/report.js'),
  reply: () => import('./kinds/reply.js'),
  reaction: () => import('./kinds/reaction.js'),
  follow: () => import('./kinds/follow.js'),
};
// Kinds this phone writes but never pulls: help requests are private, and their pages are
// read online or as the phone last saved them (kinds/help.js).
const WRITTEN_ONLY = {
  help_request: () => import('./kinds/help.js'),
  help_message: () => import('./kinds/help.js'),
};

export const TYPES = Object.keys(KINDS);  // what the pull asks for (pull.js)

// The kind's module, or null for a kind this shell does not know (a newer server's).
export function load(type) {
  const module = KINDS[type] || WRITTEN_ONLY[type];
  return module ? module() : Promise.resolve(null);
}
