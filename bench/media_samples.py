"""Sample media like a phone makes them, for bench/media.py and the browser tests.

- camera_photo(): a 12-megapixel JPEG with detail at every scale (random octaves blended with
  a 1/f-like falloff, as natural scenes have), edges, sensor grain, and EXIF naming the camera
  and the GPS position. About 2.6 MB, like a phone's own file; far harder to compress than a
  smooth gradient, so the size after resizing is an honest figure.
- speech_like_wav(): a voice-like signal (gliding pitch with harmonics, about four syllables a
  second, short pauses) for Chromium's fake microphone (--use-file-for-fake-audio-capture).
"""
import io
import math
import random
import struct
import wave

GPS_IFD = 0x8825


def camera_photo(size=(4000, 3000), seed=12) -> bytes:
    from PIL import Image, ImageDraw, ImageOps
    rng = random.Random(seed)
    w, h = size
    im = Image.new("RGB", size, (128, 128, 128))
    weight = 0.55
    for cells in (4, 8, 16, 32, 64, 128, 256, 512, 1024):
        cw, ch = min(cells, w), max(1, min(cells * h // w, h))
        layer = Image.frombytes("RGB", (cw, ch), rng.randbytes(cw * ch * 3)).resize(size, Image.Resampling.BICUBIC)
        im = Image.blend(im, layer, weight)
        weight *= 0.72
    draw = ImageDraw.Draw(im)
    scale = w / 4000
    for _ in range(40):
        x, y, r = rng.randrange(w), rng.randrange(h), int(rng.randrange(40, 400) * scale) + 2
        draw.rectangle((x, y, x + r, y + r // 2), outline=tuple(rng.randrange(256) for _ in range(3)),
                       width=max(1, int(rng.randrange(2, 12) * scale)))
    im = ImageOps.autocontrast(im, cutoff=1)
    im = Image.blend(im, Image.effect_noise(size, 18).convert("RGB"), 0.10)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"                    # Make
    exif[0x0110] = "Phone 12"                      # Model
    exif[GPS_IFD] = {1: "N", 2: (43.0, 19.0, 6.0), 3: "E", 4: (11.0, 19.0, 48.0)}
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def speech_like_wav(path, seconds=20, rate=16000):
    rng = random.Random(5)
    frames = bytearray()
    phase = 0.0
    for n in range(int(seconds * rate)):
        t = n / rate
        pitch = 140 + 40 * math.sin(2 * math.pi * 0.7 * t) + 15 * math.sin(2 * math.pi * 3.1 * t)
        phase += 2 * math.pi * pitch / rate
        syllable = max(0.0, math.sin(2 * math.pi * 4 * t)) ** 0.5
        pause = 0.0 if (t % 3.0) > 2.6 else 1.0
        voice = sum(math.sin(k * phase) / k for k in range(1, 8))
        sample = 0.25 * syllable * pause * voice + 0.01 * (rng.random() - 0.5)
        frames += struct.pack("<h", max(-32767, min(32767, int(sample * 32767))))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return path
