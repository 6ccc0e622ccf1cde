"""Voice disguise benchmark: the server's time to disguise a recording, per minute of audio.

    python bench/voice_disguise.py [--minutes 1] [--runs 3]

Speech from espeak-ng (a sentence said over and over until MINUTES long), as Opus in WebM (what
a phone records) and as WAV; prints decode + pitch/formant shift + Opus re-encode time per
minute of audio (kultialogo.media.disguise, in memory, one core). No target is asserted.
"""
import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "wtpath"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SENTENCE = ("Last winter we crossed the mountains on foot, and in the spring "
            "the children started school in the new town by the river.")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    try:
        from kultialogo.media import disguise
    except ImportError:
        from server.media import disguise  # noqa: F401
    if shutil.which("espeak-ng") is None:
        sys.exit("espeak-ng is needed: apt-get install espeak-ng")
    wav = subprocess.run(["espeak-ng", "--stdout", "-s", "150", SENTENCE], check=True, capture_output=True).stdout
    one = disguise.decode(wav, "audio/wav")
    samples = np.tile(one, int(np.ceil(args.minutes * 60 * disguise.RATE / len(one))))[: int(args.minutes * 60 * disguise.RATE)]
    webm = disguise.encode(samples)
    seconds = len(samples) / disguise.RATE
    for label, data, kind in (("webm/opus", webm, "audio/webm"), ("wav", None, "audio/wav")):
        if data is None:
            import io
            import wave
            buf = io.BytesIO()
            with wave.open(buf, "wb") as w:
                w.setnchannels(1), w.setsampwidth(2), w.setframerate(disguise.RATE)
                w.writeframes((samples * 32767).astype("<i2").tobytes())
            data = buf.getvalue()
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            out, _ms = disguise.disguise(data, kind, 4.5)
            times.append(time.perf_counter() - start)
        best = min(times)
        print(f"voice disguise ({label}, {seconds:.0f} s in, {len(data) / 1e6:.2f} MB -> {len(out) / 1e6:.2f} MB): "
              f"{best * 60 / seconds:.2f} s per minute of audio (best of {args.runs}; median {sorted(times)[len(times) // 2] * 60 / seconds:.2f} s)")


if __name__ == "__main__":
    main()
