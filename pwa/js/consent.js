// The last step before a public story with a photo or a recording is queued (#17): what others
// will see and hear, said plainly, with big buttons and a "Listen" that reads it aloud. Loaded
// by compose.js with import() only then; the plain form has its own step on the server
// (templates/stories/confirm.html).
import { t } from './i18n.js';
import * as outbox from './outbox.js';
import { fetchWithTimeout } from './net.js';
import { el, iconButton } from './ui.js';
import { canSpeakPage, say } from './speak.js';

const DISGUISE_URL = '/api/v1/media/disguised';
// Recordings already disguised on this page, by the phone's hash: {sha256, url} from the server.
const disguised = new Map();

// The voice disguised by the server, to be heard here and then published as it is (the disguise
// is random per recording: another one at upload would not be what the person heard). Null
// when it cannot be had now (no signal, a refusal): then nothing is played as if it were it.
async function disguise(record) {
  if (disguised.has(record.sha256)) return disguised.get(record.sha256);
  if (navigator.onLine === false) return null;
  const meta = document.querySelector('meta[name="csrf-token"]');
  try {
    const response = await fetchWithTimeout(DISGUISE_URL, { method: 'POST', body: record.data, credentials: 'same-origin',
      headers: { 'Content-Type': record.type, 'X-CSRF-Token': meta ? meta.content : '' } });
    if (response.status !== 201) return null;
    const { sha256, url } = await response.json();
    disguised.set(record.sha256, { sha256, url });
    return disguised.get(record.sha256);
  } catch (err) {
    return null;  // no signal after all: the server disguises it at upload
  }
}

const line = (tag, text, attrs = {}) => el(tag, { ...attrs, text });

// Show the step in place of the form. Resolves true on "Send", false on "Go back and change"
// (the form comes back as it was). On "Send", a recording heard disguised replaces the
// phone's own in `records` and `data.media`: the story names the file the person heard.
export async function confirm(form, data, records) {
  const photo = records.find((m) => m.type.startsWith('image/'));
  const voice = records.find((m) => m.type.startsWith('audio/'));
  const heading = line('h2', t('Check before you send'), { id: 'consent-h', tabindex: '-1' });
  const screen = el('section', { class: 'compose consent', 'aria-labelledby': 'consent-h' },
    heading, line('p', t('This is what others will see and hear.')));
  const media = el('div', { class: 'story-media' });
  const urls = [];
  const objectUrl = (m) => { urls.push(URL.createObjectURL(new Blob([m.data], { type: m.type }))); return urls[urls.length - 1]; };
  if (photo) media.append(el('img', { src: objectUrl(photo), alt: t('Your photo, as it will be published') }));
  let player = null;
  let heard = null;
  // Read aloud where the phone can speak this language; else it plays the recording, but only
  // one that is what others will hear (so, offline with the voice to disguise, none).
  const listen = iconButton('speaker', t('Listen'), { class: 'send', hidden: !canSpeakPage() }).button;
  listen.addEventListener('click', () => {
    if (!say(screen.innerText.replace(/\s*\n\s*/g, '. ')) && player) player.play();
  });
  screen.append(listen, media);  // "Listen" first: for someone who reads little, the way in
  if (voice) {
    const note = line('p', voice.disguise ? t('Making your voice unrecognisable…') : t('This is how others will hear your recording.'), { role: 'status' });
    media.append(note);
    const show = (src) => {
      player = el('audio', { controls: true, src, 'aria-label': t('Listen') });
      note.before(player);
      listen.hidden = false;
    };
    if (!voice.disguise) show(objectUrl(voice));
    else {
      disguise(voice).then((got) => {
        if (!screen.isConnected) return;
        heard = got;
        if (got) show(got.url);
        note.textContent = got ? t('Your voice is disguised: this is how others will hear it.')
          : t('Your voice will be disguised before anyone hears it.');
      });
    }
  }
  const title = form.elements.namedItem('title');
  const id = form.elements.namedItem('id').value;
  if (data.title) screen.append(line('h3', data.title, { lang: data.language, dir: 'auto' }));
  if (data.body) {
    screen.append(el('div', { class: 'body', lang: data.language, dir: 'auto' },
      ...data.body.split('\n\n').map((part) => line('p', part, { dir: 'auto' }))));
  }
  const name = data.author_display === 'anonymous' ? null
    : (data.author_display === 'name' ? form.dataset.name : form.dataset.username) || null;
  screen.append(
    el('p', {}, el('strong', { text: t('Who will see it') }), el('br'), t('Anyone on the internet can see this story')),
    el('p', {}, el('strong', { text: t('Under which name') }), el('br'),
      name ? el('bdi', { class: 'consent-name', text: name }) : el('span', { class: 'consent-name', text: t('Without your name') })));
  const send = iconButton('send', t('Send'), { class: 'primary send' }).button;
  const back = iconButton('write', t('Go back and change'), { class: 'send' }).button;
  screen.append(el('div', { class: 'action' }, send, back));

  // The screen alone under the page's heading (the sprite stays: the icons are drawn from it).
  const away = [...form.parentNode.children].filter((n) => !n.hidden && !['svg', 'H1'].includes(n.tagName));
  for (const n of away) n.hidden = true;
  form.before(screen);
  scrollTo(0, 0);
  heading.focus({ preventScroll: true });
  const sent = await new Promise((resolve) => {
    send.addEventListener('click', () => resolve(true), { once: true });
    back.addEventListener('click', () => resolve(false), { once: true });
  });
  if (self.speechSynthesis) speechSynthesis.cancel();
  if (player) player.pause();
  screen.remove();
  urls.forEach((u) => URL.revokeObjectURL(u));
  for (const n of away) n.hidden = false;
  if (!sent) (title || form).focus();
  else if (heard) {
    const mine = voice.sha256;
    records[records.indexOf(voice)] = { ...voice, sha256: heard.sha256, disguise: false, done: true };
    data.media = data.media.map((h) => (h === mine ? heard.sha256 : h));
    // Once the story is queued (its draft gone), the phone's copy under the old hash is unused.
    const off = outbox.onChange(async () => {
      if (!(await outbox.get(id))) return;
      off();
      await outbox.forgetMedia(mine, voice.owner);
    });
  }
  return sent;
}
