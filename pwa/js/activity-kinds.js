// How a pulled record becomes a line of the activity list, per kind: type -> fn(record, known)
// returning {kind, id, at, url, title} or null. `known`: {communities: followed slug -> since,
// stories: followed story id -> since, mine: ids this phone sent, titles: pulled story id -> title}. A new kind (a reply, a help answer) is one
// function here, and its word in templates/activity/page.html (data-label-<kind>).
export const SOURCES = {
  story(record, known) {
    if (record.deleted || record.status !== 'published' || known.mine.has(record.id)) return null;
    const since = known.communities.get(record.community);
    if (!since || (record.received_at || '') < since) return null;  // stories since the follow
    return { kind: 'story', id: record.id, at: record.received_at, url: `/stories/${record.id}`, title: record.title };
  },
  // A reply (pulled by kinds/reply.js) to a story this phone sent or one followed since then.
  // Help records are never pulled into this list: their news is only on the server's page.
  reply(record, known) {
    if (record.deleted || record.status !== 'published' || known.mine.has(record.id)) return null;
    const since = known.stories.get(record.story);
    const mine = known.mine.has(record.story);
    if (!mine && (since === undefined || (record.created_at || '') < since)) return null;
    return {
      kind: 'reply', id: record.id, at: record.created_at, url: `/stories/${record.story}#reply-${record.id}`,
      title: known.titles.get(record.story) || '',
    };
  },
};
