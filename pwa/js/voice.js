// Voice-first writing (issue #8): one big button at the top of /write turns the same form into
// a voice story: record, listen, choose who may hear it (each question can be read aloud), send.
// Everything still goes through the form and the outbox (compose.js); this only hides what
// a voice story does not need, pre-chooses the safest answers, and shows and says what
// happened after Send. Also the first-use pictogram hint (record, listen, send).
import { t } from './i18n.js';
import * as outbox from './outbox.js';
import { el, icon } from './ui.js';
import { recall, remember, say } from './speak.js';

const MODE_KEY = 'kultialogo-voice-mode';
const HINT_KEY = 'kultialogo-voice-hint-seen';
// Not needed for a story told aloud: the title and words, the photo, the place, the event.
const HIDE = ['title', 'body', 'language', 'event', 'photo', 'place'];

function mountHint(page) {
  const hint = page.querySelector('#voice-hint');
  const open = page.querySelector('.hint-open');
  if (!hint || !open) return;
  hint.tabIndex = -1;
  const show = () => { hint.hidden = false; hint.focus(); };
  open.addEventListener('click', show);
  hint.querySelector('.hint-close').addEventListener('click', () => {
    hint.hidden = true;
    remember(HINT_KEY, '1');  // seen once closed: a page left unread shows it again next time
    open.focus();
  });
  // Shown until the person closes it once; "Help" opens it again.
  if (!recall(HINT_KEY)) hint.hidden = false;
}

// The big state after Send: an icon and a few words, also spoken.
function mountDone(form, owner) {
  const done = document.querySelector('.voice-done');
  if (!done) return;
  let waiting = null;
  const show = (name, text, spoken) => {
    done.replaceChildren(icon(name), el('span', { text }));
    done.dataset.icon = name;
    done.hidden = false;
    if (form.classList.contains('voice-mode')) say(spoken || text);
  };
  form.addEventListener('kultialogo:queued', (event) => {
    waiting = event.detail.id;
    show('phone', t('Saved on this phone'), t('Your story is saved on this phone. It is sent as soon as there is signal.'));
    done.scrollIntoView({ block: 'center' });
  });
  form.addEventListener('input', () => { done.hidden = true; });
  outbox.onChange(async () => {
    if (!waiting) return;
    const id = waiting;
    const { sent } = await outbox.list(owner);
    if (waiting === id && sent.some((s) => s.id === id)) {
      waiting = null;
      show('sent', t('Your story was sent.'));
    }
  });
}

export function mount(form, { owner }) {
  const start = document.querySelector('.voice-start');
  const toggle = start && start.querySelector('.voice-toggle');
  const audioInput = form.querySelector('input[type=file][name=audio]');
  if (!toggle || !audioInput) return null;
  const audioField = audioInput.closest('.field');
  if (!audioField.querySelector('.recorder')) return null;  // no recorder in this browser: the plain form
  const home = audioField.nextElementSibling;  // where the recording goes back to
  for (const name of HIDE) {
    const field = form.elements.namedItem(name);
    const wrapper = field && field.closest && field.closest('.field');
    if (wrapper) wrapper.dataset.voiceHide = '';
  }
  const community = form.elements.namedItem('community');
  if (community && community.options && community.options.length <= 1) community.closest('.field').dataset.voiceHide = '';
  // The file picker is for a recording made elsewhere; the recorder is the voice path.
  for (const node of audioField.querySelectorAll(':scope > label, :scope > input[type=file]')) node.dataset.voiceHide = '';

  const set = (on, { speak = false } = {}) => {
    toggle.setAttribute('aria-pressed', String(on));
    form.classList.toggle('voice-mode', on);
    if (on) {
      // The recorder first, then who may hear it, the checks and Send: the order of the steps.
      const status = form.querySelector('.compose-status');
      (status || form.firstElementChild).after(audioField);
      // Safest unless the person chose otherwise: shown as anonymous (the server's default is the username).
      const author = form.querySelector('input[name=author_display][value=pseudonym]');
      const anonymous = form.querySelector('input[name=author_display][value=anonymous]');
      if (author && anonymous && author.checked) {
        anonymous.checked = true;
        anonymous.dispatchEvent(new Event('change', { bubbles: true }));
      }
    } else if (home) {
      home.before(audioField);
    }
    remember(MODE_KEY, on ? '1' : '');
    if (speak) say(on ? t('Press Record and tell your story. Then listen to it and press Send.') : t('Write with words'));
  };
  toggle.addEventListener('click', () => {
    const on = toggle.getAttribute('aria-pressed') !== 'true';
    set(on, { speak: true });
    if (on) {
      const record = audioField.querySelector('button.record');
      if (record && !record.hidden) record.focus();
    }
  });
  // A voice story needs its recording: say so rather than asking for a hidden title.
  // (A capture listener on the form runs before compose.js's own submit handler.)
  form.addEventListener('submit', (event) => {
    if (!form.classList.contains('voice-mode') || (audioInput.files && audioInput.files.length)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    say(t('Record your story first.'));
    const record = audioField.querySelector('button.record');
    if (record && !record.hidden) record.focus();
  }, true);

  start.hidden = false;
  mountHint(document);
  mountDone(form, owner);
  // A story sent back to be fixed opens in the full form, where its problem can be seen.
  const fixing = () => location.hash.startsWith('#fix=');
  if (recall(MODE_KEY) && !fixing()) set(true);
  addEventListener('hashchange', () => { if (fixing() && form.classList.contains('voice-mode')) set(false); });
  return { set };
}
