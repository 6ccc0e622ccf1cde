// People's translations of stories (docs/sync.md). Pulled ones are kept as records, and a
// published one also joins its story's `translations` (as the story's own view carries them),
// so the feed read offline shows it; a tombstone takes it out of both. The "Add a translation"
// form on a story page (server/templates/translations/_panel.html) becomes one outbox item.
import { newId } from '../outbox.js';

export const stores = ['records', 'stories'];

async function placeInStory(tx, translation, keep) {
  const story = await tx.get('stories', translation.story);
  if (!story) return;
  const others = (story.translations || []).filter((t) => t.language !== translation.language);
  const shown = keep ? [...others, { language: translation.language, title: translation.title,
    body: translation.body, translator: translation.translator, updated_at: translation.updated_at }] : others;
  tx.put('stories', { ...story, translations: shown });
}

export async function apply(tx, items) {
  for (const item of items) {
    const before = await tx.get('records', item.id);
    if (item.deleted) {
      tx.delete('records', item.id);
      if (before) await placeInStory(tx, before, false);
    } else {
      tx.put('records', item);
      if (item.status === 'published' || (before && before.status === 'published')) {
        await placeInStory(tx, item, item.status === 'published');
      }
    }
  }
}

// A field's value; for radio buttons, the chosen one's.
function value(form, name) {
  const field = form.elements.namedItem(name);
  return field ? field.value || '' : '';
}

// The form as one `translation` item: its id is the page's (data-record-id) or one made here,
// kept on the form so that saving again from this page is the same translation; another
// language is another translation (the server refuses an id sent for a second language).
export function itemsFromForm(form) {
  const { baseEtag, story } = form.dataset;
  const language = value(form, 'language');
  if (!form.dataset.recordId || (form.dataset.madeFor && form.dataset.madeFor !== language)) {
    form.dataset.recordId = newId();
    form.dataset.madeFor = language;
  }
  return [{
    type: 'translation',
    id: form.dataset.recordId,
    baseEtag: baseEtag || null,
    data: { story, language, title: value(form, 'title'), body: value(form, 'body'),
      translator_display: value(form, 'translator_display') || 'pseudonym' },
  }];
}
