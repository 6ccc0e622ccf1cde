// Photos made small before they leave the phone: decoded upright, at most `maxEdge` pixels
// on the long side, re-encoded as WebP (or JPEG where the browser cannot write WebP). Only
// pixels are drawn onto the canvas, so EXIF, GPS and every other tag stay behind.
// No DOM beyond a canvas and an <img>; no IndexedDB.

export const MAX_EDGE = 1600;   // the server publishes it as media.image_send_max_edge
// Tuned on a 12 MP camera photo: 0.72 keeps faces and text crisp at 1600 px and stays well
// under 300 KB (bench/media.py prints the figure).
const QUALITY = 0.72;

// An ImageBitmap (or <img>) turned the way the camera meant (EXIF orientation applied).
async function decode(file) {
  if (typeof createImageBitmap === 'function') {
    try {
      return await createImageBitmap(file, { imageOrientation: 'from-image' });
    } catch (err) {
      // Older engines know only 'none'/'flipY' and refuse the option: decode without it
      // (they apply the orientation by default); a format the browser cannot read fails below.
      if (err && err.name === 'TypeError') {
        try { return await createImageBitmap(file); } catch (err2) { /* try <img> */ }
      }
    }
  }
  if (typeof document === 'undefined') throw new Error('cannot decode');
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

function sizeOf(source) {
  return [source.naturalWidth || source.width, source.naturalHeight || source.height];
}

function canvasOf(width, height) {
  if (typeof OffscreenCanvas === 'function') return new OffscreenCanvas(width, height);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

function encode(canvas, type, quality) {
  if (canvas.convertToBlob) return canvas.convertToBlob({ type, quality });
  return new Promise((resolve) => canvas.toBlob(resolve, type, quality));
}

// Resolves with {file, resized, width, height}. `resized` is false when the browser could not
// decode the photo (HEIC in Chromium, a damaged file): then `file` is the original, which the
// server checks and re-encodes anyway. `edit(canvas)`: awaited before encoding, to change the
// pixels (blur.js), so nothing before it is ever encoded, kept or sent.
export async function shrink(file, { maxEdge = MAX_EDGE, quality = QUALITY, edit } = {}) {
  let source;
  try {
    source = await decode(file);
  } catch (err) {
    return { file, resized: false };
  }
  const [w, h] = sizeOf(source);
  if (!w || !h) return { file, resized: false };
  const scale = Math.min(1, maxEdge / Math.max(w, h));
  const width = Math.max(1, Math.round(w * scale));
  const height = Math.max(1, Math.round(h * scale));
  const canvas = canvasOf(width, height);
  const context = canvas.getContext('2d');
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  context.drawImage(source, 0, 0, width, height);
  if (source.close) source.close();
  if (edit) await edit(canvas);
  // A browser that cannot write WebP silently gives PNG: check what came out.
  let blob = await encode(canvas, 'image/webp', quality);
  if (!blob || blob.type !== 'image/webp') blob = await encode(canvas, 'image/jpeg', quality);
  if (!blob) return { file, resized: false };
  const ext = blob.type === 'image/webp' ? 'webp' : 'jpg';
  const stem = (file.name || 'photo').replace(/\.[^.]*$/, '') || 'photo';
  return { file: new File([blob], `${stem}.${ext}`, { type: blob.type }), resized: true, width, height };
}
