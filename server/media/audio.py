"""Voice recordings stored without their container's metadata.

A phone or an editing app may put where and when a recording was made into the file: an MP4
``©xyz`` atom, an Ogg or WebM ``LOCATION`` tag, ID3 frames, WAV ``LIST`` chunks, chapters,
cover art. The audio itself is not re-encoded (no loss, same length): its packets are copied
into a fresh container of the same kind that carries nothing else (PyAV, with FFmpeg inside).
"""
from pathlib import Path

import av

from ..errors import Problem

# content type -> (FFmpeg demuxer, FFmpeg muxer, muxer options). The demuxer is fixed by what
# checks.sniff found, so FFmpeg never guesses a format from the bytes by itself.
_FORMATS = {
    "audio/webm": ("matroska", "webm", {}),
    "audio/ogg": ("ogg", "ogg", {}),
    "audio/mp4": ("mov", "mp4", {}),
    "audio/mpeg": ("mp3", "mp3", {"id3v2_version": "0"}),  # no ID3; the Xing header keeps the length
    "audio/wav": ("wav", "wav", {}),
}
# bitexact: no "encoder: Lavf..." tag either.
_CONTAINER = {"fflags": "+bitexact"}


def strip_metadata(source: Path, target: Path, content_type: str) -> int | None:
    """Copy the first audio stream of ``source`` into ``target``, a new file of the same type
    with no container or stream metadata, chapters, cover art or other streams.

    Returns the recording's length in milliseconds, from the packets' timestamps (a browser's
    WebM recording carries no duration in its header), or None when they do not say.
    Raises Problem("corrupt_media", 422) when FFmpeg cannot read it or it holds no audio.
    """
    demuxer, muxer, options = _FORMATS[content_type]
    try:
        with av.open(str(source), "r", format=demuxer) as inp:
            audio = next((s for s in inp.streams if s.type == "audio"), None)
            if audio is None:
                raise Problem("corrupt_media", status=422)
            with av.open(str(target), "w", format=muxer, options={**_CONTAINER, **options}) as out:
                copy = out.add_stream_from_template(audio)
                copy.metadata.clear()
                copied = 0
                first = last = None
                for packet in inp.demux(audio):
                    if packet.dts is None:  # the demuxer's end-of-stream marker
                        continue
                    start = packet.pts if packet.pts is not None else packet.dts
                    first = start if first is None else min(first, start)
                    end = start + (packet.duration or 0)
                    last = end if last is None else max(last, end)
                    packet.stream = copy
                    out.mux(packet)
                    copied += 1
                if not copied:
                    raise Problem("corrupt_media", status=422)
                time_base = audio.time_base
    except (av.error.FFmpegError, ValueError, OSError):  # not readable as the type it claims
        raise Problem("corrupt_media", status=422) from None
    if time_base is None or first is None or last <= first:
        return None
    return round(float((last - first) * time_base) * 1000)
