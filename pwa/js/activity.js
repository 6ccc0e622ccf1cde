// /activity read offline: lines derived from what the pull brought (activity-kinds.js), added to
// the server's list as the saved page had it, newest first. Online the server's list holds them
// already (same data-id): nothing is added twice.
import * as db from './db.js';
import { formatDay } from './i18n.js';
import { SOURCES } from './activity-kinds.js';

async function known() {
  const [follows, sent] = await Promise.all([db.getAllBy('records', 'type', 'follow'), db.getAll('sent')]);
  const communities = new Map();
  const stories = new Map();
  for (const f of follows) {
    if (f.community) communities.set(f.community, f.created_at || '');
    if (f.story) stories.set(f.story, f.created_at || '');
  }
  return { communities, stories, mine: new Set(sent.map((s) => s.id)) };
}

export async function derive() {
  const [facts, stories, records] = await Promise.all([known(), db.getAll('stories'), db.getAll('records')]);
  facts.titles = new Map(stories.map((s) => [s.id, s.title]));
  const lines = [];
  for (const record of [...stories.map((s) => ({ ...s, type: 'story' })), ...records]) {
    const source = SOURCES[record.type];
    const line = source && source(record, facts);
    if (line) lines.push(line);
  }
  return lines.sort((a, b) => (a.at < b.at ? 1 : -1));
}

function lineFor(entry, labels) {
  const li = document.createElement('li');
  li.className = 'activity-entry';
  li.dataset.kind = entry.kind;
  li.dataset.id = entry.id;
  const link = document.createElement('a');
  link.href = entry.url;
  link.dir = 'auto';
  link.textContent = entry.title || labels.untitled || '';
  const time = document.createElement('time');
  time.dateTime = entry.at;
  time.textContent = formatDay(new Date(entry.at));
  li.append(`${labels[entry.kind] || labels.other || ''}: `, link, ' · ', time);
  return li;
}

export async function mount(section) {
  const list = section.querySelector('ol') || section.appendChild(document.createElement('ol'));
  list.classList.add('activity');
  const labels = { ...section.dataset };  // data-label-story="A new story" -> labelStory
  const words = {};
  for (const [key, value] of Object.entries(labels)) if (key.startsWith('label')) words[key.slice(5).toLowerCase()] = value;
  const shown = new Set([...list.querySelectorAll('[data-id]')].map((li) => li.dataset.id));
  const added = (await derive()).filter((entry) => !shown.has(entry.id));
  if (!added.length) return;
  const empty = section.querySelector('#activity-empty');
  if (empty) empty.hidden = true;
  const all = [...list.children, ...added.map((entry) => lineFor(entry, words))];
  all.sort((a, b) => (a.querySelector('time').dateTime < b.querySelector('time').dateTime ? 1 : -1));
  list.replaceChildren(...all);
  section.dataset.derived = String(added.length);  // tests wait on it, whatever the language
}
