// Reading offline: the feed pulled into IndexedDB (pull.js) is shown when there is no
// signal, with a banner saying so. The server's HTML stays as it is while online.
import * as db from './db.js';
import { formatDay, languageName, t } from './i18n.js';
import { STATUS, el, offlineBanner } from './ui.js';

const SHOWN = 50;       // stories drawn at once; "Show more" draws the next ones
const EXCERPT = 220;    // characters, as the server's feed template
const STORY_PATH = /^\/stories\/([0-9a-f-]{36})\/?$/;

const BADGES = { ...STATUS, pending: () => t('Waiting for review') };

function truncate(text, size) {
  if (text.length <= size) return text;
  const cut = text.slice(0, size);
  const space = cut.lastIndexOf(' ');
  return `${(space > size * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

function metaLine(story, communities) {
  const meta = el('p', { class: 'meta', lang: document.documentElement.lang });
  if (story.author) {
    meta.append(el('span', { class: 'author' }, el('bdi', { text: story.author })));
  } else {
    meta.append(el('span', { class: 'author', text: t('Anonymous') }), ' ',
      el('span', { class: 'note', text: `(${t('name has been changed')})` }));
  }
  meta.append(' · ', el('bdi', { text: communities[story.community] || story.community }));
  if (story.received_at) {
    // As the server's pages show it: the day it arrived, in the page's language ("long" date).
    const day = new Date(story.received_at);
    const text = formatDay(day);
    meta.append(' · ', el('time', { datetime: story.received_at.slice(0, 10), text }));
  }
  if (story.status !== 'published') {
    const label = BADGES[story.status] ? BADGES[story.status]() : story.status;
    meta.append(' · ', el('span', { class: `badge badge-${story.status}`, text: label }));
  }
  return meta;
}

// A voice or photo story may have no title (the server's pages say "A voice story").
function titleOf(story) {
  return story.title || t('Untitled story');
}

// People's translations come with the story (server: translations/); as on the server's
// pages, one in the page's language is shown instead of the original, and marked so.
const primary = (tag) => (tag || '').toLowerCase().split(/[-_]/)[0];

function inPageLanguage(story) {
  const page = primary(document.documentElement.lang);
  if (primary(story.language) === page) return story;
  const found = (story.translations || []).find((tr) => primary(tr.language) === page);
  if (!found) return story;
  const from = languageName(story.language);
  return { ...story, language: found.language, title: found.title || story.title, body: found.body,
    mark: t('Translated from %(language)s', { language: from }) };
}

function withMark(meta, story) {
  if (story.mark) meta.append(' · ', el('span', { class: 'translated-mark', text: story.mark }));
  return meta;
}

function card(original, communities) {
  const story = inPageLanguage(original);
  return el('li', { class: 'story-card' }, el('article', { lang: story.language },
    el('h2', { dir: 'auto' }, el('a', { href: `/stories/${story.id}`, text: titleOf(story) })),
    withMark(metaLine(story, communities), story),
    el('p', { class: 'excerpt', dir: 'auto', text: truncate(story.body, EXCERPT) })));
}

async function cached() {
  const [stories, communities] = await Promise.all([db.getAll('stories'), db.getMeta('communities')]);
  stories.sort((a, b) => (b.received_at || '').localeCompare(a.received_at || '') || a.id.localeCompare(b.id));
  return { stories, names: (communities && communities.names) || {} };
}

// Replace the list with the stories saved on this phone (they are at least as new as a page
// from the cache, and tombstones have already removed what was withdrawn or hidden).
async function showSavedFeed(main) {
  const { stories, names } = await cached();
  if (!stories.length) return false;
  let list = document.getElementById('feed');
  if (!list) {
    list = el('ol', { class: 'stories', id: 'feed' });
    const empty = main.querySelector('.empty');
    if (empty) empty.replaceWith(list);
    else main.append(list);
  }
  for (const node of main.querySelectorAll('.pager')) node.hidden = true;
  let shown = 0;
  const more = el('button', { type: 'button', class: 'more', text: t('Show more stories') });
  const draw = () => {
    list.append(...stories.slice(shown, shown + SHOWN).map((s) => card(s, names)));
    shown += SHOWN;
    more.hidden = shown >= stories.length;
  };
  list.replaceChildren();
  list.dataset.from = 'phone';
  draw();
  more.addEventListener('click', draw);
  list.after(more);
  return true;
}

// On the offline page, served for /stories/<id> when that page is not cached: the story
// itself, if the feed brought it to this phone.
async function showSavedStory(main, id) {
  const saved = await db.get('stories', id);
  if (!saved) return false;
  const story = inPageLanguage(saved);
  const { names } = await cached();
  const body = el('div', { class: 'body', dir: 'auto' });
  for (const para of story.body.split('\n\n')) body.append(el('p', { dir: 'auto', text: para }));
  const article = el('article', { class: 'story', lang: story.language },
    el('h1', { dir: 'auto', text: titleOf(story) }), withMark(metaLine(story, names), story), body);
  main.querySelector('[data-offline]').replaceWith(article);
  document.title = `${titleOf(story)} · ${t('Kultialogo')}`;
  return true;
}

// `network` is net.js's view ('online' | 'offline' | 'unknown'); onNetwork(fn) follows it.
export async function enhanceFeed({ offlinePage, networkState, onNetwork }) {
  const main = document.getElementById('main');
  let replaced = false;
  const story = offlinePage ? STORY_PATH.exec(location.pathname) : null;
  if (story) {
    await showSavedStory(main, story[1]);
  } else if (offlinePage) {
    replaced = await showSavedFeed(main);
  }
  await offlineBanner(t('Offline — showing stories saved on this phone'), onNetwork,
    offlinePage ? 'offline' : networkState(), async () => {
      if (!replaced && !story) replaced = await showSavedFeed(main);
    });
}
