// The voice recorder on the write page: Record, Pause/Resume, Stop, listen back, record again,
// the length shown as it grows, and a longest length after which it stops by itself. Opus at a
// speech bitrate, so a minute is about 180 KB. Loaded only where MediaRecorder exists (and
// only on the write page); without it the plain file field does the job. What is recorded is
// kept on the phone as it records (takes.js): a recording cut short by a call, a locked screen
// or a closed tab is offered again here, to keep or discard.
import { loadStrings, numberFormat, t } from './i18n.js';
import * as takes from './takes.js';
import { el, formatBytes, iconButton } from './ui.js';
import { withDuration } from './webm.js';

// Its strings come with it, only where it runs (server/i18n CLIENT_BUNDLES).
await loadStrings('recorder');

const BITRATE = 24000;  // bit/s: clear speech, about 180 KB a minute
const TIMESLICE = 1000;  // ms: the recorder hands over data every second, not all at the end
const WARN_BEFORE = 30;  // seconds before the longest length: say how little is left
// In order of preference; Safari records only MP4.
const TYPES = [
  ['audio/webm;codecs=opus', 'audio/webm', 'webm'],
  ['audio/ogg;codecs=opus', 'audio/ogg', 'ogg'],
  ['audio/mp4', 'audio/mp4', 'm4a'],
];

export function canRecord() {
  return typeof MediaRecorder === 'function' && Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

function format() {
  const supported = typeof MediaRecorder.isTypeSupported === 'function';
  for (const [mime, type, ext] of TYPES) {
    if (supported && MediaRecorder.isTypeSupported(mime)) return { mime, type, ext };
  }
  return { mime: '', type: '', ext: '' };  // the browser's own choice
}

// "01:05", in the page's digits.
export function clock(seconds) {
  const two = numberFormat({ minimumIntegerDigits: 2, useGrouping: false });
  const whole = Math.floor(seconds);
  return `${two.format(Math.floor(whole / 60))}:${two.format(whole % 60)}`;
}

// The recording as a file: its length written in (WebM), named by its type.
async function toFile(blob, type, ext, seconds) {
  let data = await blob.arrayBuffer();
  if (type === 'audio/webm') data = withDuration(data, seconds * 1000);
  return new File([data], `recording.${ext || type.split('/')[1] || 'webm'}`, { type });
}

// Put the recorder into `field` (the .field that holds the audio file input), before the input.
// onRecorded(file, seconds) runs when a recording is finished (a promise: the recording is
// kept); onDiscarded() when the person deletes it. owner: whose interrupted recordings to
// offer. Returns {show(file, seconds), reset()} for a recording kept from before.
export function mount(field, { maxSeconds, owner, onRecorded, onDiscarded }) {
  const input = field.querySelector('input[type=file]');
  const label = field.querySelector('label');
  const heading = el('p', { class: 'recorder-title', id: 'recorder-title', text: t('Tell it with your voice (optional)') });
  // Icons with their words (voice-first, issue #8): mic, pause, stop, play, record again.
  const { button: record } = iconButton('mic', t('Record'), { class: 'primary record' });
  const { button: pause, label: pauseLabel } = iconButton('pause', t('Pause'), { class: 'pause', hidden: true });
  const { button: stop } = iconButton('stop', t('Stop'), { class: 'stop', hidden: true });
  const elapsed = el('span', { class: 'elapsed', dir: 'ltr', text: clock(0) });
  const time = el('p', { class: 'recorder-time', role: 'timer' },
    elapsed, ' / ', el('span', { dir: 'ltr', text: clock(maxSeconds) }));
  const status = el('p', { class: 'recorder-status', role: 'status', 'aria-live': 'polite' });
  const player = el('audio', { controls: true, preload: 'metadata', 'aria-label': t('Listen to your recording') });
  const size = el('p', { class: 'media-size', role: 'status' });  // announced with the length
  const { button: again } = iconButton('again', t('Delete and record again'), { class: 'again' });
  // A big "Listen" button: the player's own controls are small and read nothing aloud.
  const { button: listen, label: listenLabel } = iconButton('play', t('Listen'), { class: 'listen' });
  listen.addEventListener('click', () => { if (player.paused) player.play(); else player.pause(); });
  player.addEventListener('play', () => { listenLabel.textContent = t('Pause'); listen.setAttribute('data-icon', 'pause'); listen.querySelector('use').setAttribute('href', '#i-pause'); });
  player.addEventListener('pause', () => { listenLabel.textContent = t('Listen'); listen.setAttribute('data-icon', 'play'); listen.querySelector('use').setAttribute('href', '#i-play'); });
  const result = el('div', { class: 'recorder-result', hidden: true }, listen, player, size, again);
  // A recording left behind by a call, a locked screen or a closed tab: keep it or discard it.
  const offerText = el('p', { class: 'recorder-offer-text' });
  const keepButton = el('button', { type: 'button', class: 'primary keep', text: t('Keep it') });
  const discardButton = el('button', { type: 'button', class: 'discard', text: t('Discard') });
  const offerBox = el('div', { class: 'recorder-offer', role: 'group', hidden: true },
    offerText, el('div', { class: 'recorder-buttons' }, keepButton, discardButton));
  const box = el('div', { class: 'recorder', role: 'group', 'aria-labelledby': 'recorder-title', 'data-state': 'idle' },
    heading, offerBox, el('div', { class: 'recorder-buttons' }, record, pause, stop), time, status, result);
  field.prepend(box);
  // With the app's recorder here, the file field is for a recording made elsewhere.
  if (label) label.textContent = t('Or choose a recording file');
  if (input) input.removeAttribute('capture');

  let recorder = null;
  let stream = null;
  let chunks = [];
  let kind = null;
  let startedAt = 0;
  let before = 0;  // ms recorded before the last resume
  let ticker = null;
  let warned = false;
  let url = null;
  let take = null;      // this recording as kept on the phone (takes.js), while it records
  let offering = false; // an interrupted recording waits for "Keep it" or "Discard"

  const seconds = () => (before + (recorder && recorder.state === 'recording' ? performance.now() - startedAt : 0)) / 1000;
  const setState = (state) => {
    box.dataset.state = state;
    record.hidden = state !== 'idle' || offering;
    pause.hidden = !['recording', 'paused'].includes(state) || typeof MediaRecorder.prototype.pause !== 'function';
    stop.hidden = !['recording', 'paused'].includes(state);
    time.hidden = state === 'done';
    result.hidden = state !== 'done';
    pauseLabel.textContent = state === 'paused' ? t('Resume') : t('Pause');
  };
  const say = (text) => { status.textContent = text; };
  const release = () => {
    clearInterval(ticker);
    ticker = null;
    if (stream) for (const track of stream.getTracks()) track.stop();  // the microphone light goes off
    stream = null;
  };

  const tick = () => {
    const now = seconds();
    elapsed.textContent = clock(Math.min(now, maxSeconds));
    if (!warned && maxSeconds - now <= WARN_BEFORE && maxSeconds > 2 * WARN_BEFORE) {
      warned = true;
      say(t('%(time)s left.', { time: clock(maxSeconds - now) }));
    }
    if (now >= maxSeconds && recorder && recorder.state !== 'inactive') finish(true);
  };

  const show = (file, length) => {
    if (url) URL.revokeObjectURL(url);
    url = URL.createObjectURL(file);
    player.src = url;
    size.textContent = length
      ? t('Recording: %(time)s, %(size)s to send', { time: clock(length), size: formatBytes(file.size) })
      : t('Recording: %(size)s to send', { size: formatBytes(file.size) });
    setState('done');
  };

  async function finish(automatic) {
    if (!recorder || recorder.state === 'inactive') return;
    const length = Math.min(seconds(), maxSeconds);
    const done = new Promise((resolve) => recorder.addEventListener('stop', resolve, { once: true }));
    recorder.stop();
    release();
    await done;
    const type = typeOf(recorder);
    const file = await toFile(new Blob(chunks, { type }), type, kind.ext, length);
    chunks = [];
    recorder = null;
    const kept = take;
    take = null;
    show(file, length);
    say(automatic ? t('The longest recording is %(max)s: it stopped there.', { max: clock(maxSeconds) })
      : t('Recording finished.'));
    player.focus();
    if (onRecorded) await onRecorded(file, length);
    if (kept) await kept.drop().catch(() => {});  // now kept with the draft instead
  }

  const typeOf = (current) => kind.type || ((current && current.mimeType) || 'audio/webm').split(';')[0];

  record.addEventListener('click', async () => {
    record.disabled = true;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true } });
      kind = format();
      const options = { audioBitsPerSecond: BITRATE };
      if (kind.mime) options.mimeType = kind.mime;
      recorder = new MediaRecorder(stream, options);
    } catch (err) {
      release();
      record.disabled = false;
      say(err && err.name === 'NotAllowedError'
        ? t('The microphone is not allowed. Allow it in the browser settings, or choose a recording file below.')
        : t('The microphone could not be started. You can choose a recording file below.'));
      return;
    }
    chunks = [];
    before = 0;
    warned = false;
    // Kept as it records; a phone that cannot keep it (full, private mode) still records.
    take = owner ? await takes.begin(owner, { type: typeOf(recorder), ext: kind.ext }).catch(() => null) : null;
    const mine = take;
    recorder.addEventListener('dataavailable', (event) => {
      if (!event.data || !event.data.size) return;
      chunks.push(event.data);
      if (mine) mine.append(event.data, Math.min(seconds(), maxSeconds)).catch(() => {});
    });
    recorder.start(TIMESLICE);
    startedAt = performance.now();
    ticker = setInterval(tick, 250);
    record.disabled = false;
    elapsed.textContent = clock(0);
    setState('recording');
    say(t('Recording… Press Stop when you have finished.'));
    stop.focus();
  });

  pause.addEventListener('click', () => {
    if (!recorder) return;
    if (recorder.state === 'recording') {
      recorder.pause();
      before += performance.now() - startedAt;
      setState('paused');
      say(t('Paused at %(time)s.', { time: clock(seconds()) }));
    } else if (recorder.state === 'paused') {
      recorder.resume();
      startedAt = performance.now();
      setState('recording');
      say(t('Recording again from %(time)s.', { time: clock(seconds()) }));
    }
  });

  stop.addEventListener('click', () => finish(false));

  again.addEventListener('click', () => {
    reset();
    say(t('The recording was deleted. You can record again.'));
    record.focus();
    if (onDiscarded) onDiscarded();
  });

  function reset() {
    if (recorder && recorder.state !== 'inactive') recorder.stop();
    recorder = null;
    if (take) take.drop().catch(() => {});
    take = null;
    chunks = [];
    release();
    player.removeAttribute('src');
    if (url) URL.revokeObjectURL(url);
    url = null;
    elapsed.textContent = clock(0);
    setState('idle');
  }

  // The page is being hidden (a call, the screen locking) or left: hand over what the recorder
  // holds now, so that at most this moment is lost if the tab does not come back.
  const flush = () => { if (recorder && recorder.state === 'recording') recorder.requestData(); };
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') flush(); });
  addEventListener('pagehide', flush);

  // One interrupted recording after another, newest first: "Keep it" makes it the story's
  // recording, as if it had been stopped; "Discard" deletes it from the phone.
  const choose = (length) => new Promise((resolve) => {
    offerText.textContent = t('A recording was interrupted (%(time)s). Keep it?', { time: clock(length) });
    offering = true;
    offerBox.hidden = false;
    setState(box.dataset.state);
    const pick = (choice) => () => {
      keepButton.removeEventListener('click', onKeep);
      discardButton.removeEventListener('click', onDiscard);
      offering = false;
      offerBox.hidden = true;
      setState(box.dataset.state);
      resolve(choice);
    };
    const onKeep = pick('keep');
    const onDiscard = pick('discard');
    keepButton.addEventListener('click', onKeep);
    discardButton.addEventListener('click', onDiscard);
  });
  async function offerInterrupted() {
    for (const left of await takes.interrupted(owner)) {
      const choice = await choose(left.seconds);
      if (choice === 'keep') {
        const file = await toFile(await takes.assemble(left), left.type, left.ext, left.seconds);
        show(file, left.seconds);
        say(t('The interrupted recording was kept.'));
        player.focus();
        if (onRecorded) await onRecorded(file, left.seconds);
      } else {
        say(t('The interrupted recording was discarded.'));
        record.focus();
      }
      await takes.forget(left.id);
    }
  }

  setState('idle');
  if (owner) offerInterrupted().catch(() => {});  // IndexedDB refused: nothing to offer
  return { show, reset: () => { reset(); say(''); } };
}
