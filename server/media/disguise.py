"""A voice made unrecognisable, in memory: the original recording never touches the disk.

Pitch and formants move together: the samples are resampled by a ratio of 4 to 5 semitones,
up or down at random for each recording (a fixed shift could be undone by the opposite one),
then WSOLA (waveform-similarity overlap-add) stretches them back to their original length, so
words keep their pace. numpy only: PyAV (FFmpeg) decodes and re-encodes as Opus in WebM.
"""
import io
import secrets

import av
import numpy as np

from ..errors import Problem

RATE = 24000  # Opus "super-wideband": enough for speech, half the work of 48 kHz
FRAME = 768  # 32 ms analysis window
HOP = FRAME // 2
SEEK = 192  # how far WSOLA looks for the best-matching continuation (8 ms)
BITRATE = 32000
_DEMUXERS = {"audio/webm": "matroska", "audio/ogg": "ogg", "audio/mp4": "mov", "audio/mpeg": "mp3",
             "audio/wav": "wav"}


def pick_semitones() -> float:
    """4 to 5 semitones, up or down."""
    amount = 4 + secrets.randbelow(1001) / 1000
    return amount if secrets.randbelow(2) else -amount


def decode(data: bytes, content_type: str) -> np.ndarray:
    """Mono float32 samples at RATE; Problem("corrupt_media", 422) when FFmpeg cannot read it."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
    chunks = []
    try:
        with av.open(io.BytesIO(data), "r", format=_DEMUXERS[content_type]) as inp:
            if not inp.streams.audio:
                raise Problem("corrupt_media", status=422)
            for frame in inp.decode(inp.streams.audio[0]):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except (av.error.FFmpegError, ValueError, OSError):
        raise Problem("corrupt_media", status=422) from None
    if not chunks:
        raise Problem("corrupt_media", status=422)
    return np.concatenate(chunks).astype(np.float32)


def _resample(x: np.ndarray, ratio: float) -> np.ndarray:
    """Read ``x`` ``ratio`` times as fast (linear interpolation): pitch and formants times ratio."""
    positions = np.arange(0, len(x) - 1, ratio)
    return np.interp(positions, np.arange(len(x)), x).astype(np.float32)


def _stretch(x: np.ndarray, length: int) -> np.ndarray:
    """WSOLA: ``x`` made ``length`` samples long without changing its pitch."""
    window = np.hanning(FRAME).astype(np.float32)
    analysis_hop = HOP * len(x) / max(length, 1)
    padded = np.concatenate([np.zeros(SEEK + FRAME, np.float32), x, np.zeros(2 * FRAME + SEEK + HOP, np.float32)])
    out = np.zeros(length + 2 * FRAME, np.float32)
    norm = np.zeros_like(out)
    offset = SEEK + FRAME  # where x starts in padded
    previous = offset  # start of the last frame copied
    count = length // HOP + 2
    for k in range(count):
        nominal = offset + int(round(k * analysis_hop))
        if k == 0:
            start = nominal
        else:
            # the natural continuation of what was copied last, matched within +-SEEK
            template = padded[previous + HOP: previous + HOP + FRAME - HOP]
            region = padded[nominal - SEEK: nominal + SEEK + len(template)]
            score = np.correlate(region, template, mode="valid")
            start = nominal - SEEK + int(np.argmax(score))
        out[k * HOP: k * HOP + FRAME] += padded[start: start + FRAME] * window
        norm[k * HOP: k * HOP + FRAME] += window
        previous = start
    norm[norm < 1e-3] = 1.0
    return (out / norm)[:length]


def transform(samples: np.ndarray, semitones: float) -> np.ndarray:
    """Pitch and formants moved by ``semitones``, same length."""
    ratio = 2.0 ** (semitones / 12)
    shifted = _resample(samples, ratio)
    return np.clip(_stretch(shifted, len(samples)), -1.0, 1.0)


def encode(samples: np.ndarray) -> bytes:
    """Opus in WebM, mono, no metadata; the bytes never leave memory."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="webm", options={"fflags": "+bitexact"}) as out:
        stream = out.add_stream("libopus", rate=RATE)
        stream.layout = "mono"
        stream.bit_rate = BITRATE
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1).astype(np.float32), format="flt", layout="mono")
        frame.sample_rate = RATE
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


def disguise(data: bytes, content_type: str, semitones: float | None = None) -> tuple[bytes, int]:
    """The disguised recording (Opus in WebM) and its length in milliseconds."""
    samples = decode(data, content_type)
    if len(samples) < FRAME:
        raise Problem("corrupt_media", status=422)
    result = transform(samples, pick_semitones() if semitones is None else semitones)
    return encode(result), round(len(result) * 1000 / RATE)
