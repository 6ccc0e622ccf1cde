// Spoken labels for people who read little (issue #8): speaks a text in the page's language
// with the browser's own speech synthesis (Web Speech API), and wires the page's speaker
// buttons ([data-speak]) and the "Hear the buttons" mode (tap once to hear, again to use).
// Without speech synthesis, or with no voice for a language near the page's, nothing is shown.
import { t } from './i18n.js';

const MODE_KEY = 'kultialogo-hear-buttons';
const norm = (tag) => String(tag || '').replace('_', '-').toLowerCase();

export function canSpeak() {
  return Boolean(self.speechSynthesis) && typeof self.SpeechSynthesisUtterance === 'function';
}

// The voice for `lang`: the same tag, else the same language ("ar" for "ar-SA"). undefined
// while the browser has not listed its voices yet (it then picks one from utterance.lang);
// null when it has voices but none near this language.
function voiceFor(lang) {
  const voices = speechSynthesis.getVoices();
  if (!voices.length) return undefined;
  const want = norm(lang);
  const base = want.split('-')[0];
  return voices.find((v) => norm(v.lang) === want)
    || voices.find((v) => norm(v.lang).split('-')[0] === base) || null;
}

export function canSpeakPage() {
  return canSpeak() && voiceFor(document.documentElement.lang) !== null;
}

// Speak `text` now (whatever was being said stops). Returns false when it cannot.
export function say(text) {
  if (!canSpeak() || !text) return false;
  const lang = document.documentElement.lang || 'en';
  const voice = voiceFor(lang);
  if (voice === null) return false;
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.lang = lang;
  if (voice) utterance.voice = voice;
  speechSynthesis.cancel();
  speechSynthesis.speak(utterance);
  return true;
}

// A setting kept on this phone (localStorage); private mode may refuse it: then this visit only.
export function remember(key, value) {
  try { localStorage.setItem(key, value); } catch (err) { /* private mode: this visit only */ }
}
export function recall(key) {
  try { return localStorage.getItem(key); } catch (err) { return null; }
}

const clean = (text) => String(text || '').replace(/\s+/g, ' ').trim();

// What a speaker button reads: a question (legend or heading), its options (labels, with the
// chosen one said so) and its hints; a plain element's own text otherwise.
export function textOf(target) {
  const parts = [];
  for (const node of target.querySelectorAll('legend, h2, label, .hint, .steps span')) {
    if (node.closest('[hidden]') || node.closest('.speak')) continue;
    let text = clean(node.textContent);
    const input = node.querySelector('input[type=radio], input[type=checkbox]');
    if (input && input.checked) text = t('%(option)s (chosen)', { option: text });
    if (text) parts.push(text);
  }
  return parts.length ? parts.join('. ') : clean(target.textContent);
}

// The words of a link or button: its visible text or its accessible name.
function labelOf(control) {
  const hidden = control.querySelector('.visually-hidden');
  return clean(control.getAttribute('aria-label') || (hidden ? hidden.textContent : control.textContent));
}

function wireSpeakers(root) {
  for (const button of root.querySelectorAll('button[data-speak]')) {
    if (button.dataset.wired) continue;
    button.dataset.wired = '1';
    button.hidden = false;
    button.addEventListener('click', () => {
      const target = document.getElementById(button.dataset.speak);
      if (target) say(textOf(target));
    });
  }
}

// "Hear the buttons": while on, the first tap on a link or button says its label and does
// nothing else; a second tap on the same one uses it. Remembered on this phone.
function wireMode(toggle) {
  let armed = null;
  const on = () => toggle.getAttribute('aria-pressed') === 'true';
  const set = (value) => {
    toggle.setAttribute('aria-pressed', String(value));
    remember(MODE_KEY, value ? '1' : '');
  };
  set(Boolean(recall(MODE_KEY)));
  toggle.hidden = false;
  toggle.addEventListener('click', () => {
    set(!on());
    armed = null;
    say(on() ? t('Tap a button once to hear it, and again to use it.') : t('Buttons are no longer read aloud.'));
  });
  document.addEventListener('click', (event) => {
    if (!on() || !event.isTrusted) return;
    const control = event.target.closest('a[href], button, summary');
    if (!control || control === toggle || control.matches('[data-speak]')) return;
    if (armed === control) { armed = null; return; }
    armed = control;
    event.preventDefault();
    event.stopImmediatePropagation();
    say(labelOf(control));
  }, true);
}

// Show the speaker buttons and the mode toggle once the browser's voices are known.
export function mountSpeech(root = document) {
  if (!canSpeak()) return;
  const show = () => {
    if (!canSpeakPage()) return;
    wireSpeakers(root);
    const toggle = document.querySelector('.speak-mode');
    if (toggle && toggle.hidden) wireMode(toggle);
  };
  show();
  speechSynthesis.addEventListener('voiceschanged', show);
}
