// Blur parts of a photo before it is kept or sent (#17). attach.js loads this only when a photo
// is chosen, and photo.js hands over the canvas of the photo made small, before encoding: what
// is blurred here is what IndexedDB keeps and the server gets; the original is never encoded.
// A blurred part keeps blocks of a tenth of its short side, smeared twice: a face becomes a
// few soft patches, not a pixel portrait someone could still recognise.
import { t } from './i18n.js';
import { el } from './ui.js';

let finish = null;  // closes the tool open now (another photo chosen while it is open)

// Box blurs of radius r over a w×h block of RGBA pixels, along the rows, then down the columns
// (a whole row at a time, as the memory lies): running sums, so the time does not grow with r;
// the edges repeat their last pixel.
function smear(d, w, h, r) {
  const k = 2 * r + 1;
  let src = d.slice();
  for (let y = 0; y < h; y++) {
    const row = y * w * 4;
    for (let c = 0; c < 4; c++) {
      let sum = src[row + c] * (r + 1);
      for (let x = 1; x <= r; x++) sum += src[row + Math.min(x, w - 1) * 4 + c];
      for (let x = 0; x < w; x++) {
        d[row + x * 4 + c] = sum / k;
        sum += src[row + Math.min(x + r + 1, w - 1) * 4 + c] - src[row + Math.max(x - r, 0) * 4 + c];
      }
    }
  }
  src = d.slice();
  const line = w * 4;
  const sums = new Float64Array(line);
  for (let i = 0; i < line; i++) {
    sums[i] = src[i] * (r + 1);
    for (let y = 1; y <= r; y++) sums[i] += src[Math.min(y, h - 1) * line + i];
  }
  for (let y = 0; y < h; y++) {
    const add = Math.min(y + r + 1, h - 1) * line;
    const drop = Math.max(y - r, 0) * line;
    for (let i = 0, out = y * line; i < line; i++, out++) {
      d[out] = sums[i] / k;
      sums[i] += src[add + i] - src[drop + i];
    }
  }
}

// Blur a w×h block of RGBA pixels in place: big blocks of their mean colour, then smeared.
export function blur(d, w, h) {
  const size = Math.max(4, Math.round(Math.min(w, h) / 10));
  const block = new Int32Array(w);  // x -> its block's first sum
  for (let x = 0; x < w; x++) block[x] = (x / size | 0) * 3;
  const sums = new Float64Array(block[w - 1] + 3);
  for (let y0 = 0; y0 < h; y0 += size) {
    const y1 = Math.min(y0 + size, h);
    sums.fill(0);
    for (let y = y0, p = y0 * w * 4; y < y1; y++) {
      for (let x = 0; x < w; x++, p += 4) {
        const b = block[x];
        sums[b] += d[p];
        sums[b + 1] += d[p + 1];
        sums[b + 2] += d[p + 2];
      }
    }
    for (let b = 0; b < sums.length; b += 3) {
      const count = Math.min(size, w - b / 3 * size) * (y1 - y0);
      for (let c = 0; c < 3; c++) sums[b + c] /= count;
    }
    for (let y = y0, p = y0 * w * 4; y < y1; y++) {
      for (let x = 0; x < w; x++, p += 4) {
        const b = block[x];
        d[p] = sums[b];
        d[p + 1] = sums[b + 1];
        d[p + 2] = sums[b + 2];
      }
    }
  }
  smear(d, w, h, size);
  smear(d, w, h, size);
}

// Blur the box (x, y, w, h) of a 2D context's canvas. The work is done on the box made small
// (short side 40 px: blocks of 4 px), then drawn back over the box, smoothed: the same look,
// in the same time for a face or the whole of a 12-megapixel photo.
export function blurBox(context, x, y, w, h) {
  const scale = Math.min(1, 40 / Math.min(w, h));
  const small = el('canvas', { width: Math.ceil(w * scale), height: Math.ceil(h * scale) });
  const { width, height } = small;
  const draw = small.getContext('2d');
  draw.imageSmoothingQuality = context.imageSmoothingQuality = 'high';
  draw.drawImage(context.canvas, x, y, w, h, 0, 0, width, height);
  const pixels = draw.getImageData(0, 0, width, height);
  blur(pixels.data, width, height);
  draw.putImageData(pixels, 0, 0);
  context.drawImage(small, x, y, w, h);
}

// Show the photo on `canvas` after `input` until the person is done; resolves then, with the
// blurs drawn into `canvas` itself.
export function edit(canvas, input) {
  if (finish) finish();
  const { width, height } = canvas;
  const photo = canvas.getContext('2d');
  const view = el('canvas', { width, height, role: 'img', 'aria-label': t('The photo that will be sent') });
  const paint = view.getContext('2d');
  const history = [];  // per blur: the [x, y, pixels before] it changed
  const button = (text, attrs) => el('button', { type: 'button', text, ...attrs });
  const undo = button(t('Undo'), { disabled: true });
  const faces = 'FaceDetector' in self ? button(t('Blur faces')) : null;
  const whole = button(t('Blur the whole photo'));
  const done = button(t('Done'), { class: 'primary' });
  const status = el('p', { role: 'status' });
  const tool = el('div', { class: 'blur' },
    el('p', { text: t('Hide faces and anything private: drag over it or tap it to blur it.') }),
    view, el('div', { class: 'recorder-buttons' }, undo, faces, whole, done), status);  // the recorder's big buttons
  const show = () => paint.drawImage(canvas, 0, 0);
  show();

  // Blur these [x, y, w, h] boxes (photo pixels) as one step that Undo takes back.
  const apply = (boxes, said) => {
    const step = [];
    for (const box of boxes) {
      const x = Math.max(0, Math.round(box[0]));
      const y = Math.max(0, Math.round(box[1]));
      const w = Math.min(width, Math.round(box[0] + box[2])) - x;
      const h = Math.min(height, Math.round(box[1] + box[3])) - y;
      if (w < 2 || h < 2) continue;
      step.push([x, y, photo.getImageData(x, y, w, h)]);
      blurBox(photo, x, y, w, h);
    }
    if (step.length) history.push(step);
    undo.disabled = !history.length;
    show();
    status.textContent = said;
  };
  undo.addEventListener('click', () => {
    for (const [x, y, pixels] of history.pop().reverse()) photo.putImageData(pixels, x, y);
    undo.disabled = !history.length;
    show();
    status.textContent = t('Blur undone.');
    if (undo.disabled) whole.focus();
  });
  whole.addEventListener('click', () => apply([[0, 0, width, height]], t('The whole photo is blurred.')));
  if (faces) {
    faces.addEventListener('click', async () => {
      let found = [];
      try {
        found = await new FaceDetector({ maxDetectedFaces: 30 }).detect(view);
      } catch (err) {
        // The detector is there but cannot run (no model on this phone): as if it found none.
      }
      // Detectors box the eyes to the chin: take in the hair, ears and neck too.
      apply(found.map(({ boundingBox: b }) => [b.x - b.width / 3, b.y - b.height / 2, b.width * 5 / 3, b.height * 2]),
        found.length ? t('Faces blurred: %(count)s', { count: found.length }) : t('No face found. Drag over each face to blur it.'));
    });
  }

  // Drag a box, or tap: a square a quarter of the photo's short side, centred where tapped.
  let start = null;
  const at = (e) => {
    const r = view.getBoundingClientRect();
    const scale = width / r.width;
    return [(e.clientX - r.left) * scale, (e.clientY - r.top) * scale, scale];
  };
  const boxTo = (e) => {
    const [x, y, scale] = at(e);
    const box = [Math.min(x, start[0]), Math.min(y, start[1]), Math.abs(x - start[0]), Math.abs(y - start[1])];
    if (box[2] > 12 * scale || box[3] > 12 * scale) return box;
    const side = Math.min(width, height) / 4;
    return [start[0] - side / 2, start[1] - side / 2, side, side, true];
  };
  view.addEventListener('pointerdown', (e) => {
    start = at(e);
    view.setPointerCapture(e.pointerId);
    e.preventDefault();
  });
  view.addEventListener('pointermove', (e) => {
    if (!start) return;
    const box = boxTo(e);
    show();
    if (box[4]) return;
    paint.lineWidth = 3 * start[2];
    paint.strokeStyle = '#fff';
    paint.strokeRect(...box.slice(0, 4));
  });
  view.addEventListener('pointerup', (e) => {
    if (!start) return;
    const box = boxTo(e);
    start = null;
    apply([box], t('Part of the photo is blurred.'));
  });
  view.addEventListener('pointercancel', () => { start = null; show(); });

  // "Making the photo smaller…" below the input waits under the tool until it is done.
  const busy = input.nextElementSibling;
  if (busy) busy.hidden = true;
  input.after(tool);
  return new Promise((resolve) => {
    // "Send" while the tool is open is "Done" too: the story goes with the blurs made so far.
    const form = input.form || input;
    const close = () => {
      finish = null;
      form.removeEventListener('submit', close);
      tool.remove();
      if (busy) busy.hidden = false;
      resolve();
    };
    finish = close;
    form.addEventListener('submit', close);
    done.addEventListener('click', () => {
      close();
      input.focus();
    });
  });
}
