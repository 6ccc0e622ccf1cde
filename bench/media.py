"""Media benchmark: tus uploads through a real ``kultialogo run`` process.

    python bench/media.py [--n 100] [--size 1000000] [--server-threads 8] [--db sqlite|postgresql]
                          [--voice-seconds 60] [--phone-only | --no-phone]

Prints:
- server throughput for N concurrent uploads of SIZE bytes each, sent in the published chunk
  size with a SHA-1 per chunk, for voice recordings (stored byte for byte) and for photos
  (decoded, bounded and re-encoded by Pillow: the CPU-bound case);
- the bytes sent again after a network cut at 50% of a file (target: under one chunk);
- the bytes a phone sends (Debian's Chromium, headless, running the app's own pwa/js/photo.js
  and pwa/js/recorder.js from the server): a 12-megapixel camera photo with GPS in its EXIF
  (bench/media_samples.py; target at most 300 KB) and a 60 s voice story recorded in real time
  from the fake microphone playing a speech-like WAV (target at most 250 KB).
"""
import argparse
import base64
import hashlib
import io
import os
import socket
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from bench._server import PG_ADMIN_URL, LiveServer, ScratchPostgres  # noqa: E402

UPLOADS = "/api/v1/media/uploads"
TUS = {"Tus-Resumable": "1.0.0"}


def prepare(database_url: str, data_dir: Path) -> str:
    """Migrate the empty database and make one account; return its token."""
    from flask_migrate import upgrade

    from kultialogo import create_app
    from kultialogo.accounts.auth import create_account, issue_token
    from kultialogo.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "DATA_DIR": str(data_dir),
                      "SECRET_KEY": "bench", "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024})
    with app.app_context():
        upgrade()
        account = create_account("mediabench", "bench password 1")
        token, _record = issue_token(account, "bench")
        db.session.remove()
        db.engine.dispose()
    return token


def voice(size: int) -> bytes:
    """A real Ogg Opus recording of about ``size`` bytes (the server re-muxes audio, so random
    bytes would be refused), with a random tag so that every file has its own hash."""
    import math
    from array import array

    import av
    out_buffer = io.BytesIO()
    out = av.open(out_buffer, "w", format="ogg")
    stream = out.add_stream("libopus", rate=48000)
    stream.layout, stream.bit_rate = "mono", 256_000
    stream.metadata["comment"] = os.urandom(8).hex()  # dropped by the server, not by the hash
    wave = array("h", (int(9000 * math.sin(2 * math.pi * 440 * k / 48000)) for k in range(960))).tobytes()
    for n in range(max(1, math.ceil(size / 50_000 * 50))):  # 50 frames a second, ~50 kB a second
        frame = av.AudioFrame(format="s16", layout="mono", samples=960)
        frame.planes[0].update(wave)
        frame.sample_rate, frame.pts = 48000, n * 960
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)
    out.close()
    return out_buffer.getvalue()


def photo(size: int) -> bytes:
    """A JPEG of about ``size`` bytes (noise compresses badly, so the byte count is honest)."""
    from PIL import Image
    side = int((size / 0.8) ** 0.5)
    out = io.BytesIO()
    Image.frombytes("L", (side, side), os.urandom(side * side)).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def _meta(data: bytes, type_: str, name: str) -> str:
    enc = lambda v: base64.b64encode(v.encode()).decode()  # noqa: E731
    return f"sha256 {enc(hashlib.sha256(data).hexdigest())},type {enc(type_)},filename {enc(name)}"


def upload(session: requests.Session, base: str, auth: dict, data: bytes, type_: str, chunk: int,
           start: int = 0, url: str | None = None) -> tuple[str, int]:
    """tus upload from ``start``; returns (upload URL, bytes sent in PATCH bodies)."""
    if url is None:
        created = session.post(base + UPLOADS, headers={**TUS, **auth, "Upload-Length": str(len(data)),
                                                        "Upload-Metadata": _meta(data, type_, "f")})
        created.raise_for_status()
        url = base + created.headers["Location"]
        if created.status_code == 200:
            return url, 0
    offset, sent = start, 0
    while offset < len(data):
        piece = data[offset:offset + chunk]
        digest = base64.b64encode(hashlib.sha1(piece).digest()).decode()
        response = session.patch(url, data=piece, headers={
            **TUS, **auth, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream",
            "Upload-Checksum": f"sha1 {digest}"})
        sent += len(piece)
        if response.status_code != 204:
            raise RuntimeError(f"PATCH {response.status_code}: {response.text}")
        offset = int(response.headers["Upload-Offset"])
    return url, sent


def throughput(base: str, auth: dict, files: list[bytes], type_: str, chunk: int) -> dict:
    def one(data):
        with requests.Session() as session:
            began = time.perf_counter()
            upload(session, base, auth, data, type_, chunk)
            return time.perf_counter() - began

    began = time.perf_counter()
    with ThreadPoolExecutor(len(files)) as pool:
        latencies = sorted(pool.map(one, files))
    wall = time.perf_counter() - began
    total = sum(len(d) for d in files)
    return {"files": len(files), "mb": total / 1e6, "seconds": wall, "mb_per_s": total / 1e6 / wall,
            "files_per_s": len(files) / wall, "p50": statistics.median(latencies),
            "p95": latencies[int(len(latencies) * 0.95) - 1]}


def cut_and_resume(base: str, auth: dict, size: int, chunk: int) -> dict:
    """Upload until the chunk that crosses 50%, drop the connection at 50%, resume from HEAD."""
    data = voice(size)
    half = size // 2
    with requests.Session() as session:
        sent = 0
        created = session.post(base + UPLOADS, headers={**TUS, **auth, "Upload-Length": str(size),
                                                        "Upload-Metadata": _meta(data, "audio/ogg", "v.ogg")})
        url = base + created.headers["Location"]
        offset = 0
        while offset + chunk <= half:  # whole chunks before the cut
            _url, n = upload_range(session, url, auth, data, offset, offset + chunk)
            sent += n
            offset += chunk
        # The chunk in flight at the cut: its first bytes leave the phone, then the network goes.
        in_flight = data[offset:offset + chunk]
        parts = urlsplit(url)
        with socket.create_connection((parts.hostname, parts.port)) as sock:
            head = [f"PATCH {parts.path} HTTP/1.1", f"Host: {parts.netloc}", "Tus-Resumable: 1.0.0",
                    f"Upload-Offset: {offset}", "Content-Type: application/offset+octet-stream",
                    f"Content-Length: {len(in_flight)}"] + [f"{k}: {v}" for k, v in auth.items()]
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + in_flight[:half - offset])
        sent += half - offset
        server_offset = int(session.head(url, headers={**TUS, **auth}).headers["Upload-Offset"])
        _url, n = upload(session, base, auth, data, "audio/ogg", chunk, start=server_offset, url=url)
        sent += n
        served = session.get(f"{base}/media/{hashlib.sha256(data).hexdigest()}", headers=auth)
        assert served.content == data, "resumed file differs"
    return {"size": size, "chunk": chunk, "cut_at": half, "server_offset_after_cut": server_offset,
            "bytes_sent": sent, "resent": sent - size}


def upload_range(session, url, auth, data, start, end):
    piece = data[start:end]
    response = session.patch(url, data=piece, headers={
        **TUS, **auth, "Upload-Offset": str(start), "Content-Type": "application/offset+octet-stream"})
    if response.status_code != 204:
        raise RuntimeError(f"PATCH {response.status_code}: {response.text}")
    return url, len(piece)


PHOTO_TARGET = 300 * 1024
VOICE_TARGET = 250 * 1024


def phone_sizes(base: str, voice_seconds: int) -> dict:
    """What the app makes of a camera photo and of a spoken minute, measured in the browser."""
    from playwright.sync_api import sync_playwright

    from bench.media_samples import camera_photo, speech_like_wav
    from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS

    original = camera_photo()
    with tempfile.TemporaryDirectory(prefix="kultialogo-phone-bench-") as tmp:
        wav = speech_like_wav(Path(tmp) / "voice.wav", seconds=min(voice_seconds, 60))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                *CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-audio-capture={wav}"])
            try:
                page = browser.new_page()
                page.goto(base + "/signin")
                made = page.evaluate("""async (b64) => {
                    const { shrink } = await import('/static/js/photo.js');
                    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                    const began = performance.now();
                    const out = await shrink(new File([bytes], 'IMG_0001.jpg', { type: 'image/jpeg' }));
                    return { size: out.file.size, type: out.file.type, width: out.width, height: out.height,
                             resized: out.resized, ms: performance.now() - began };
                }""", base64.b64encode(original).decode())
                page.evaluate("""async () => {
                    const { mount } = await import('/static/js/recorder.js');
                    const field = document.createElement('div');
                    field.className = 'field';
                    field.append(document.createElement('label'), Object.assign(document.createElement('input'), { type: 'file' }));
                    document.body.append(field);
                    window.recorded = new Promise((resolve) => mount(field, { maxSeconds: 600,
                        onRecorded: (file, seconds) => resolve({ size: file.size, type: file.type, seconds }) }));
                }""")
                page.click(".recorder button.record")
                page.wait_for_selector(".recorder[data-state=recording]")
                time.sleep(voice_seconds)  # a real-time recording: the one wait this benchmark needs
                page.click(".recorder button.stop")
                voice_made = page.evaluate("() => window.recorded")
            finally:
                browser.close()
    return {"photo_in": len(original), "photo": made, "voice": voice_made}


def print_phone(base: str, voice_seconds: int) -> None:
    r = phone_sizes(base, voice_seconds)
    ph, vo = r["photo"], r["voice"]
    print("phone side (headless Chromium, the app's photo.js and recorder.js):")
    print(f"  12 MP camera photo: {r['photo_in']} B JPEG 4000x3000 with GPS -> {ph['size']} B "
          f"{ph['type']} {ph['width']}x{ph['height']} in {ph['ms']:.0f} ms "
          f"(target {PHOTO_TARGET} B) {'OK' if ph['size'] <= PHOTO_TARGET else 'OVER TARGET'}")
    rate = vo["size"] * 8 / vo["seconds"] / 1000
    target = VOICE_TARGET * vo["seconds"] / 60
    print(f"  {vo['seconds']:.0f} s voice story: {vo['size']} B {vo['type']} ({rate:.1f} kbit/s) "
          f"(target for 60 s {VOICE_TARGET} B) {'OK' if vo['size'] <= target else 'OVER TARGET'}")


def run(db: str, args) -> None:
    from kultialogo import limits
    chunk = args.chunk or limits.MEDIA_CHUNK_BYTES
    with tempfile.TemporaryDirectory(prefix="kultialogo-media-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        pg = None
        if db == "postgresql":
            pg = ScratchPostgres(PG_ADMIN_URL, prefix="kultialogo_media_bench").__enter__()
            url = pg.url
        else:
            data_dir.mkdir(parents=True)
            url = f"sqlite:///{data_dir / 'kultialogo.sqlite3'}"
        try:
            token = prepare(url, data_dir)
            auth = {"Authorization": f"Bearer {token}"}
            with LiveServer(url, data_dir, threads=args.server_threads) as server:
                print(f"[{db}] server threads {args.server_threads}, chunk {chunk} B, "
                      f"{args.n} concurrent uploads of {args.size} B")
                voices = [voice(args.size) for _ in range(args.n)]
                r = throughput(server.url, auth, voices, "audio/ogg", chunk)
                print(f"  voice (stored as sent): {r['mb']:.0f} MB in {r['seconds']:.2f} s = "
                      f"{r['mb_per_s']:.1f} MB/s, {r['files_per_s']:.1f} files/s; "
                      f"per upload p50 {r['p50']:.2f} s, p95 {r['p95']:.2f} s")
                photos = [photo(args.size) for _ in range(args.n)]
                r = throughput(server.url, auth, photos, "image/jpeg", chunk)
                print(f"  photo (decoded, re-encoded): {r['mb']:.0f} MB in {r['seconds']:.2f} s = "
                      f"{r['mb_per_s']:.1f} MB/s, {r['files_per_s']:.1f} files/s; "
                      f"per upload p50 {r['p50']:.2f} s, p95 {r['p95']:.2f} s")
                c = cut_and_resume(server.url, auth, args.size, chunk)
                verdict = "OK" if c["resent"] < chunk else "OVER TARGET"
                print(f"  cut at 50% ({c['cut_at']} B): server kept {c['server_offset_after_cut']} B; "
                      f"bytes re-sent {c['resent']} (one chunk = {chunk} B) {verdict}")
        finally:
            if pg is not None:
                pg.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--size", type=int, default=1_000_000, help="bytes per file (default: 1 MB)")
    parser.add_argument("--chunk", type=int, default=0, help="PATCH size (default: the published chunk size)")
    parser.add_argument("--server-threads", type=int, default=8)
    parser.add_argument("--db", default="sqlite", help="sqlite, postgresql or both (comma-separated)")
    parser.add_argument("--voice-seconds", type=int, default=60, help="length of the recording (default: 60 s)")
    phone = parser.add_mutually_exclusive_group()
    phone.add_argument("--phone-only", action="store_true", help="only the sizes a phone sends")
    phone.add_argument("--no-phone", action="store_true", help="only the server figures")
    args = parser.parse_args()
    if not args.phone_only:
        for db in args.db.split(","):
            run(db.strip(), args)
    if not args.no_phone:
        with tempfile.TemporaryDirectory(prefix="kultialogo-phone-bench-") as tmp:
            data_dir = Path(tmp) / "data"
            data_dir.mkdir()
            url = f"sqlite:///{data_dir / 'kultialogo.sqlite3'}"
            prepare(url, data_dir)
            with LiveServer(url, data_dir, threads=4) as server:
                print_phone(server.url, args.voice_seconds)


if __name__ == "__main__":
    main()
