// MediaRecorder's WebM has no Duration (it is written live, before the length is known), so
// players show no length and cannot seek until they have read the whole file. We know the
// length when recording stops: write it into the Segment's Info element. Anything unexpected
// (a Segment of known size, a SeekHead whose offsets would move, a Duration already there)
// leaves the file as it is: a recording without a length still plays.

const EBML = 0x1a45dfa3;
const SEGMENT = 0x18538067;
const SEEK_HEAD = 0x114d9b74;
const INFO = 0x1549a966;
const CLUSTER = 0x1f43b675;
const TIMECODE_SCALE = 0x2ad7b1;
const DURATION = 0x4489;

function vint(bytes, pos, keepMarker) {
  const first = bytes[pos];
  if (first === undefined || first === 0) return null;
  let length = 1;
  while (!(first & (0x80 >> (length - 1)))) length += 1;
  if (pos + length > bytes.length) return null;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === (0xff >> length);
  for (let i = 1; i < length; i += 1) {
    value = value * 256 + bytes[pos + i];
    if (bytes[pos + i] !== 0xff) allOnes = false;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}

function element(bytes, pos) {
  const id = vint(bytes, pos, true);
  if (!id) return null;
  const size = vint(bytes, pos + id.length, false);
  if (!size) return null;
  const start = pos + id.length + size.length;
  return { id: id.value, start, size: size.value, unknown: size.unknown, end: start + size.value };
}

function sizeBytes(value) {
  let length = 1;
  while (value >= 2 ** (7 * length) - 1) length += 1;
  const out = new Uint8Array(length);
  let rest = value;
  for (let i = length - 1; i >= 0; i -= 1) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  out[0] |= 0x80 >> (length - 1);
  return out;
}

function uint(bytes, start, end) {
  let value = 0;
  for (let i = start; i < end; i += 1) value = value * 256 + bytes[i];
  return value;
}

// A new ArrayBuffer with the duration written in, or the same buffer when that is not safe.
export function withDuration(buffer, milliseconds) {
  const bytes = new Uint8Array(buffer);
  const header = element(bytes, 0);
  if (!header || header.id !== EBML) return buffer;
  const segment = element(bytes, header.end);
  if (!segment || segment.id !== SEGMENT || !segment.unknown) return buffer;
  let pos = segment.start;
  let info = null;
  while (pos < bytes.length) {
    const child = element(bytes, pos);
    if (!child || child.unknown || child.id === SEEK_HEAD || child.id === CLUSTER) return buffer;
    if (child.id === INFO) { info = child; break; }
    pos = child.end;
  }
  if (!info || info.end > bytes.length) return buffer;
  let scale = 1000000;
  for (let at = info.start; at < info.end;) {
    const child = element(bytes, at);
    if (!child || child.end > info.end) return buffer;
    if (child.id === DURATION) return buffer;
    if (child.id === TIMECODE_SCALE) scale = uint(bytes, child.start, child.end) || scale;
    at = child.end;
  }
  const duration = new Uint8Array(11);
  duration.set([0x44, 0x89, 0x88]);
  new DataView(duration.buffer).setFloat64(3, (milliseconds * 1e6) / scale);
  const idLength = vint(bytes, pos, true).length;
  const size = sizeBytes(info.size + duration.length);
  const out = new Uint8Array(bytes.length - (info.start - pos) + idLength + size.length + duration.length);
  let at = 0;
  const put = (part) => { out.set(part, at); at += part.length; };
  put(bytes.subarray(0, pos + idLength));
  put(size);
  put(bytes.subarray(info.start, info.end));
  put(duration);
  put(bytes.subarray(info.end));
  return out.buffer;
}
