// How a pulled record becomes a line of the activity list, per kind: type -> fn(record, known)
// returning {kind, id, at, url, title} or null. `known`: {communities: followed slugs, stories:
// followed story ids, mine: ids this phone sent}. A new kind (a reply, a help answer) is one
// function here, and its word in templates/activity/page.html (data-label-<kind>).
export const SOURCES = {
  story(record, known) {
    if (record.deleted || record.status !== 'published' || known.mine.has(record.id)) return null;
    const since = known.communities.get(record.community);
    if (!since || (record.received_at || '') < since) return null;  // stories since the follow
    return { kind: 'story', id: record.id, at: record.received_at, url: `/stories/${record.id}`, title: record.title };
  },
};
