"""The node export file (kultialogo.nodes.bundle): a round trip, bounded memory, and a file that
was cut, damaged, altered, signed by another node or is no export at all is refused by
verify_bundle before anything could be imported."""
import hashlib
import io
import json
import os
import random
import struct
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from kultialogo.nodes import bundle
from kultialogo.nodes.bundle import BundleError, derive_key, read_bundle, verify_bundle, write_bundle

KEY = derive_key("node-token-camp-north")
OTHER_KEY = derive_key("node-token-camp-south")
HEADER = {"label": "Camp North", "community_id": 7, "token_id": 42, "counts": {"items": 5}}
MB = 1024 * 1024


def key_for(header):
    return KEY if header.get("token_id") == 42 else None


def make_media(folder: Path, sizes, content_type="image/jpeg", seed=1):
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    media = []
    for size in sizes:
        data = rng.randbytes(size)
        name = hashlib.sha256(data).hexdigest()
        (folder / name).write_bytes(data)
        media.append((name, content_type, folder / name))
    return media


def chunk(n, start=0):
    return {"items": [{"type": "story", "op": "upsert", "id": f"00000000-0000-4000-8000-{i:012d}",
                       "data": {"title": f"Story {i}", "body": "Ζωή — حياة — життя " * 3}}
                      for i in range(start, start + n)]}


def write(path: Path, *, chunks=(), media=(), key=KEY, header=HEADER, progress=None) -> dict:
    with open(path, "wb") as out:
        return write_bundle(out, key=key, header=header, chunks=chunks, media=media, progress=progress)


def refused(path, key_for=key_for) -> BundleError:
    with pytest.raises(BundleError) as caught:
        verify_bundle(path, key_for=key_for)
    assert caught.value.message and str(caught.value) == caught.value.message
    return caught.value


def layout(raw: bytes) -> list[tuple[str, int, int]]:
    """The file's regions as (frame.part, start, end), read the way the module's docstring says."""
    regions = [("magic", 0, raw.index(b"\n") + 1)]
    pos = regions[0][2]
    while pos < len(raw):
        kind, meta_len, data_len = struct.unpack_from(">cIQ", raw, pos)
        frame = {b"H": "header", b"M": "media", b"C": "chunk", b"E": "end"}[kind]
        for part, size in (("head", 13), ("meta", meta_len), ("tag1", 32), ("data", data_len),
                           ("digest", 32), ("tag2", 32)):
            if size:
                regions.append((f"{frame}.{part}", pos, pos + size))
            pos += size
    assert pos == len(raw)
    return regions


@pytest.fixture
def small(tmp_path):
    """A bundle of a few KB: three media files (one of a single byte) and three chunks."""
    media = make_media(tmp_path / "media", [700, 1, 300])
    chunks = [chunk(2), chunk(1, 2), {"items": []}]
    path = tmp_path / "small.kultialogo"
    write(path, chunks=chunks, media=media)
    return path, chunks, media


# --- Round trip ------------------------------------------------------------------------------

def test_a_bundle_gives_back_its_header_chunks_and_media_in_order_media_first(tmp_path):
    media = make_media(tmp_path / "media", [3 * MB + 17, MB, 1, 5000], content_type="audio/webm")
    chunks = [chunk(500), chunk(500, 500), chunk(3, 1000), {"items": []}]
    path = tmp_path / "camp.kultialogo"
    summary = write(path, chunks=chunks, media=media)
    media_bytes = sum(p.stat().st_size for _, _, p in media)
    assert summary == {"chunks": 4, "items": 1003, "media": 4, "media_bytes": media_bytes,
                       "bytes": path.stat().st_size, "bundle_id": summary["bundle_id"]}

    header = verify_bundle(path, key_for=key_for)
    assert {k: header[k] for k in HEADER} == HEADER
    assert header["format"] == "kultialogo-node-export" and header["version"] == 1
    assert header["bundle_id"] == summary["bundle_id"] and header["created_at"].endswith("Z")
    assert header["contents"] == {"chunks": 4, "items": 1003, "media": 4, "media_bytes": media_bytes}

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    seen = []
    for kind, value in read_bundle(path, key=KEY, tmp_dir=scratch):
        if kind == "media":
            name, content_type, tmp = value
            assert tmp.parent == scratch  # beside the media store, so it can be moved into place
            assert tmp.read_bytes() == (tmp_path / "media" / name).read_bytes()
            seen.append(("media", name, content_type))
        else:
            seen.append(("chunk", value))
    assert seen == [("media", name, "audio/webm") for name, _, _ in media] + [("chunk", c) for c in chunks]
    assert list(scratch.iterdir()) == []  # each copy the caller left is removed


def test_a_media_file_the_importer_moved_away_is_its_own_and_one_left_is_removed(tmp_path):
    media = make_media(tmp_path / "media", [100, 200])
    path = tmp_path / "b.kultialogo"
    write(path, media=media, chunks=[chunk(1)])
    scratch, store = tmp_path / "scratch", tmp_path / "store"
    scratch.mkdir(), store.mkdir()
    for kind, value in read_bundle(path, key=KEY, tmp_dir=scratch):
        if kind == "media" and value[0] == media[0][0]:
            os.replace(value[2], store / value[0])
    assert [p.name for p in store.iterdir()] == [media[0][0]]
    assert list(scratch.iterdir()) == []


def test_an_importer_that_stops_early_leaves_no_temporary_file(tmp_path):
    media = make_media(tmp_path / "media", [100, 200])
    path = tmp_path / "b.kultialogo"
    write(path, media=media)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    entries = read_bundle(path, key=KEY, tmp_dir=scratch)
    kind, (name, _, tmp) = next(entries)
    assert tmp.exists()
    entries.close()
    assert list(scratch.iterdir()) == []


def test_an_empty_export_is_a_valid_bundle(tmp_path):
    path = tmp_path / "empty.kultialogo"
    write(path)
    assert verify_bundle(path, key_for=key_for)["contents"] == {"chunks": 0, "items": 0, "media": 0,
                                                                "media_bytes": 0}
    assert list(read_bundle(path, key=KEY)) == []


def test_a_media_file_listed_twice_is_written_once(tmp_path):
    media = make_media(tmp_path / "media", [100])
    path = tmp_path / "b.kultialogo"
    assert write(path, media=media * 3)["media"] == 1
    assert verify_bundle(path, key_for=key_for)["contents"]["media"] == 1


def test_a_bundle_streams_to_a_file_object_that_cannot_seek(tmp_path):
    class Pipe:  # like stdout or a response body: write only
        def __init__(self):
            self.parts = []

        def write(self, data):
            self.parts.append(bytes(data))
            return len(data)

    media = make_media(tmp_path / "media", [2 * MB + 3])
    pipe = Pipe()
    summary = write_bundle(pipe, key=KEY, header=HEADER, chunks=[chunk(3)], media=media)
    path = tmp_path / "piped.kultialogo"
    path.write_bytes(b"".join(pipe.parts))
    assert summary["bytes"] == path.stat().st_size
    assert verify_bundle(path, key_for=key_for)["contents"]["items"] == 3


def test_progress_is_reported_as_bytes_up_to_the_file_size(tmp_path):
    media = make_media(tmp_path / "media", [3 * MB])
    path = tmp_path / "b.kultialogo"
    written, checked = [], []
    write(path, media=media, chunks=[chunk(10)], progress=written.append)
    verify_bundle(path, key_for=key_for, progress=checked.append)
    size = path.stat().st_size
    for reports in (written, checked):
        assert len(reports) >= 3 and reports == sorted(reports) and reports[-1] == size


def test_the_signing_key_comes_from_the_token_and_central_gets_it_from_the_stored_hash():
    from kultialogo.accounts.auth import _token_hash  # what central keeps of a node's token

    assert derive_key("abc") == derive_key("abc") != derive_key("abd")
    assert len(derive_key("abc")) == 32
    assert bundle.key_from_token_hash(_token_hash("abc")) == derive_key("abc")


# --- Memory ----------------------------------------------------------------------------------

def test_writing_verifying_and_reading_200_mb_stays_within_a_few_mb_of_memory(tmp_path):
    """8 media files of 25 MB: each is copied block by block, never held whole."""
    block = random.Random(3).randbytes(25 * MB)
    media = []
    (tmp_path / "media").mkdir()
    for i in range(8):
        data = i.to_bytes(4, "big") + block[4:]
        name = hashlib.sha256(data).hexdigest()
        (tmp_path / "media" / name).write_bytes(data)
        media.append((name, "audio/ogg", tmp_path / "media" / name))
        del data
    del block
    path = tmp_path / "big.kultialogo"
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    def peak(action) -> int:
        tracemalloc.start()
        try:
            action()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    def read_all():
        for kind, value in read_bundle(path, key=KEY, tmp_dir=scratch):
            if kind == "media":
                assert value[2].stat().st_size == 25 * MB

    try:
        assert peak(lambda: write(path, media=media, chunks=[chunk(500) for _ in range(4)])) < 20 * MB
        assert path.stat().st_size > 200 * MB
        assert peak(lambda: verify_bundle(path, key_for=key_for)) < 20 * MB
        assert peak(read_all) < 20 * MB
    finally:
        path.unlink(missing_ok=True)
        for _, _, file in media:
            file.unlink()


# --- Refused: cut short, damaged, altered, another node's, not a bundle -----------------------

def test_a_bundle_cut_at_any_byte_is_refused_as_truncated(small, tmp_path):
    raw = small[0].read_bytes()
    cut = tmp_path / "cut.kultialogo"
    for length in range(len(raw)):
        cut.write_bytes(raw[:length])
        error = refused(cut)
        assert error.code == ("not_a_bundle" if length == 0 else "truncated"), length
    assert "cut short" in error.message


def test_any_flipped_byte_is_refused_and_damage_to_data_reads_as_a_bad_checksum(small, tmp_path):
    raw = small[0].read_bytes()
    regions = layout(raw)
    assert [name for name, _, _ in regions if name.endswith("head")] == (
        ["header.head"] + ["media.head"] * 3 + ["chunk.head"] * 3 + ["end.head"])
    damaged = tmp_path / "damaged.kultialogo"
    for name, start, end in regions:
        frame, part = name.split(".") if "." in name else (name, "")
        for offset in range(start, end):
            for mask in (0x01, 0x80):
                copy = bytearray(raw)
                copy[offset] ^= mask
                damaged.write_bytes(copy)
                code = refused(damaged).code
                if part in ("data", "digest"):
                    assert code == "bad_checksum", (name, offset)
                elif part in ("tag1", "tag2") or (frame != "header" and part == "meta"):
                    assert code == "bad_signature", (name, offset)
                elif part == "head" and offset - start >= 5:  # the data length
                    assert code == "bad_signature", (name, offset)
                elif frame != "header" and part == "head":  # a metadata length that runs past the end
                    assert code in ("bad_signature", "truncated", "not_a_bundle"), (name, offset)


def test_a_large_bundle_is_refused_when_cut_or_damaged_in_its_header_chunks_media_or_end(tmp_path):
    media = make_media(tmp_path / "media", [3 * MB, MB + 1])
    path = tmp_path / "large.kultialogo"
    write(path, media=media, chunks=[chunk(200), chunk(5)])
    raw = path.read_bytes()
    offsets = {len(raw) - 1}
    for _, start, end in layout(raw):
        offsets |= {start, (start + end) // 2, end - 1}
    cut = tmp_path / "cut.kultialogo"
    for offset in sorted(offsets):
        cut.write_bytes(raw[:offset])
        assert refused(cut).code == ("not_a_bundle" if offset == 0 else "truncated"), offset
    cut.unlink()
    with open(path, "r+b") as fh:
        for offset in sorted(offsets):
            fh.seek(offset)
            fh.write(bytes([raw[offset] ^ 0x10]))
            fh.flush()
            refused(path)
            fh.seek(offset)
            fh.write(raw[offset:offset + 1])
            fh.flush()
    assert verify_bundle(path, key_for=key_for)["contents"]["media"] == 2


def test_bytes_added_after_the_end_are_refused(small, tmp_path):
    path = small[0]
    with open(path, "ab") as fh:
        fh.write(b"\n")
    assert refused(path).code == "not_a_bundle"


def test_a_bundle_signed_with_another_nodes_token_is_refused(tmp_path):
    path = tmp_path / "b.kultialogo"
    write(path, chunks=[chunk(1)], key=OTHER_KEY)
    assert refused(path).code == "bad_signature"


def test_a_bundle_from_an_unknown_node_is_refused_before_any_signature_check(tmp_path):
    path = tmp_path / "b.kultialogo"
    write(path, chunks=[chunk(1)], header={**HEADER, "token_id": 99})
    seen = []

    def unknown(header):
        seen.append(header["token_id"])
        return None

    error = refused(path, key_for=unknown)
    assert error.code == "wrong_node" and seen == [99] and "99" in error.message


def test_a_header_altered_to_name_another_node_is_refused(tmp_path):
    """Copying one node's export and relabelling it as another's does not pass."""
    path = tmp_path / "b.kultialogo"
    write(path, chunks=[chunk(1)], header={**HEADER, "token_id": 43})  # signed with 42's key, says 43
    assert refused(path).code == "wrong_node"
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b'"token_id":43', b'"token_id":42'))
    assert refused(path).code == "bad_signature"


@pytest.mark.parametrize("content", [
    b"",
    random.Random(5).randbytes(4096),
    b"KULTIALOGO",  # a cut first line
    json.dumps({"format": "kultialogo-node-export", "version": 1}).encode(),
    b"KULTIALOGO-NODE-EXPORT/\n",
    b"KULTIALOGO-NODE-EXPORT/1x\n",
    b"KULTIALOGO-NODE-EXPORT/1\n" + b"\xff" * 64,
], ids=["empty", "random", "cut-marker", "json", "no-version", "bad-version", "junk-after-marker"])
def test_a_file_that_is_no_export_is_refused(tmp_path, content):
    path = tmp_path / "not.kultialogo"
    path.write_bytes(content)
    assert refused(path).code in ({"truncated"} if content == b"KULTIALOGO" else {"not_a_bundle"})


def test_a_zip_or_tar_of_something_else_is_not_a_bundle(tmp_path):
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8" + bytes(1000))
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as zf:
        zf.write(tmp_path / "photo.jpg", "photo.jpg")
    with tarfile.open(tmp_path / "x.tar", "w") as tf:
        tf.add(tmp_path / "photo.jpg", "photo.jpg")
    for name in ("x.zip", "x.tar"):
        error = refused(tmp_path / name)
        assert error.code == "not_a_bundle" and "not a Kultialogo node export" in error.message


def test_a_bundle_of_another_format_version_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "b.kultialogo"
    write(path, chunks=[chunk(1)])
    raw = path.read_bytes()
    for future in (b"/2\n", b"/10\n"):
        path.write_bytes(raw.replace(b"/1\n", future, 1))
        error = refused(path)
        assert error.code == "unsupported_version" and "version" in error.message
    monkeypatch.setattr(bundle, "VERSION", 2)  # a newer node, signed and whole
    write(path, chunks=[chunk(1)])
    monkeypatch.setattr(bundle, "VERSION", 1)
    assert refused(path).code == "unsupported_version"


# --- The second pass checks again --------------------------------------------------------------

@pytest.mark.parametrize("where", ["media.data", "chunk.data", "chunk.tag2", "end.meta"])
def test_a_file_changed_after_verification_stops_the_import_where_it_differs(small, tmp_path, where):
    path, chunks, media = small
    verify_bundle(path, key_for=key_for)
    raw = bytearray(path.read_bytes())
    regions = [(start, end) for name, start, end in layout(bytes(raw)) if name == where]
    start, end = regions[1] if len(regions) > 1 else regions[0]
    raw[(start + end) // 2] ^= 0x04
    path.write_bytes(raw)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    got = []
    with pytest.raises(BundleError) as caught:
        for kind, value in read_bundle(path, key=KEY, tmp_dir=scratch):
            got.append((kind, value[0] if kind == "media" else value))
    assert caught.value.code in ("bad_checksum", "bad_signature")
    expected = [("media", name) for name, _, _ in media] + [("chunk", c) for c in chunks]
    assert got == expected[:len(got)] and len(got) < len(expected) + (where == "end.meta")
    assert list(scratch.iterdir()) == []


def test_a_file_cut_after_verification_stops_the_import_at_the_cut(small, tmp_path):
    path, chunks, media = small
    raw = path.read_bytes()
    path.write_bytes(raw[:len(raw) - 40])
    got = []
    with pytest.raises(BundleError) as caught:
        for kind, value in read_bundle(path, key=KEY):
            got.append(kind)
    assert caught.value.code == "truncated" and got == ["media"] * 3 + ["chunk"] * 3


# --- Limits against a hostile file -----------------------------------------------------------

def test_a_huge_declared_metadata_length_is_refused_before_reading_it(small, tmp_path):
    raw = bytearray(small[0].read_bytes())
    _, start, _ = [r for r in layout(bytes(raw)) if r[0] == "chunk.head"][0]
    struct.pack_into(">I", raw, start + 1, 2**32 - 1)
    path = tmp_path / "hostile.kultialogo"
    path.write_bytes(raw)
    error = refused(path)
    assert error.code == "not_a_bundle" and str(bundle.MAX_META_BYTES) in error.message


def test_entries_over_the_limits_are_refused_on_reading_even_when_signed(tmp_path, monkeypatch):
    path = tmp_path / "b.kultialogo"
    write(path, chunks=[chunk(30)], media=make_media(tmp_path / "media", [5000, 10]))
    monkeypatch.setattr(bundle, "MAX_CHUNK_BYTES", 1000)
    assert refused(path).code == "too_large"
    monkeypatch.undo()
    monkeypatch.setattr(bundle, "MAX_MEDIA_BYTES", 1000)
    assert refused(path).code == "too_large"
    monkeypatch.undo()
    monkeypatch.setattr(bundle, "MAX_ENTRIES", 2)
    assert refused(path).code == "too_large"


def test_the_writer_refuses_what_a_reader_would_refuse(tmp_path, monkeypatch):
    media = make_media(tmp_path / "media", [5000])
    out = io.BytesIO()
    monkeypatch.setattr(bundle, "MAX_CHUNK_BYTES", 1000)
    with pytest.raises(BundleError) as caught:
        write_bundle(out, key=KEY, header=HEADER, chunks=[chunk(30)], media=[])
    assert caught.value.code == "too_large"
    monkeypatch.setattr(bundle, "MAX_MEDIA_BYTES", 1000)
    with pytest.raises(BundleError) as caught:
        write_bundle(out, key=KEY, header=HEADER, chunks=[], media=media)
    assert caught.value.code == "too_large"
    monkeypatch.setattr(bundle, "MAX_ENTRIES", 2)
    with pytest.raises(BundleError) as caught:
        write_bundle(out, key=KEY, header=HEADER, chunks=[{}, {}, {}], media=[])
    assert caught.value.code == "too_large"


def test_a_media_name_is_the_store_key_not_the_bytes_hash(tmp_path):
    """Media are named by the upload they came from; stored cleaned, their bytes hash otherwise.
    The frame's own checksum covers the bytes."""
    media = make_media(tmp_path / "media", [5000])
    name = hashlib.sha256(b"the upload, before it was cleaned").hexdigest()
    write(tmp_path / "b.kultialogo", media=[(name, media[0][1], media[0][2])])
    entries = [value for kind, value in read_bundle(tmp_path / "b.kultialogo", key=KEY) if kind == "media"]
    assert [e[0] for e in entries] == [name]


def test_the_header_never_carries_the_token(tmp_path):
    with pytest.raises(ValueError):
        write(tmp_path / "b.kultialogo", header={**HEADER, "token": "node-token-camp-north"})


def _forge(path: Path, frames, end=True, key=KEY):
    """A file signed with the right key but written by hand: a compromised or buggy node."""
    counts = {"chunks": 0, "items": 0, "media": 0, "media_bytes": 0}
    with open(path, "wb") as fh:
        out = bundle._Writer(fh, key, None)
        out.write(bundle.MAGIC + b"1\n")
        out.small_frame(bundle.HEADER, {**HEADER, "format": bundle.FORMAT, "version": 1})
        for kind, meta, data in frames:
            out.small_frame(kind, meta, data)
            if kind == bundle.MEDIA:
                counts["media"] += 1
                counts["media_bytes"] += len(data)
            elif kind == bundle.CHUNK:
                counts["chunks"] += 1
        if end:
            out.small_frame(bundle.END, end if isinstance(end, dict) else counts)


def test_a_forged_file_written_by_hand_is_read_like_the_writers_own(tmp_path):
    media = hashlib.sha256(b"x").hexdigest()
    _forge(tmp_path / "f.kultialogo", [(bundle.MEDIA, {"sha256": media, "content_type": "image/png"}, b"x"),
                                       (bundle.CHUNK, {}, b'{"items": []}')])
    assert verify_bundle(tmp_path / "f.kultialogo", key_for=key_for)["contents"]["media"] == 1


@pytest.mark.parametrize("frames, end, code", [
    ([(bundle.CHUNK, {}, b"[" * 100_000 + b"]" * 100_000)], True, "not_a_bundle"),  # past the parser's recursion
    ([(bundle.CHUNK, {}, b"[1, 2]")], True, "not_a_bundle"),                       # not an object
    ([(bundle.CHUNK, {}, b'{"x": NaN}')], True, "not_a_bundle"),                   # not JSON
    ([(bundle.CHUNK, {}, b'{"x": "\xff"}')], True, "not_a_bundle"),               # not UTF-8
    ([(bundle.MEDIA, {"sha256": "../../etc/passwd", "content_type": "image/png"}, b"x")], True, "not_a_bundle"),
    ([(b"X", {}, b"")], True, "not_a_bundle"),                                     # an unknown kind
    ([(bundle.HEADER, {}, b"")], True, "not_a_bundle"),                            # a second header
    ([(bundle.END, {}, b"x")], True, "not_a_bundle"),                              # an end marker with data
    ([], {"chunks": 1, "items": 0, "media": 0, "media_bytes": 0}, "not_a_bundle"),  # counts that lie
    ([(bundle.CHUNK, {}, b"{}")], False, "truncated"),                             # no end marker
], ids=["deep", "array", "nan", "utf8", "path", "kind", "header-again", "end-data", "end-counts",
        "no-end"])
def test_a_signed_file_with_malformed_entries_is_refused(tmp_path, frames, end, code):
    path = tmp_path / "forged.kultialogo"
    _forge(path, frames, end)
    assert refused(path).code == code


@pytest.mark.parametrize("frame", ["media", "chunk"])
def test_an_entry_altered_with_its_checksum_recomputed_is_never_handed_over(small, frame):
    """Only the signature stands between an altered entry and the importer: it is checked first."""
    path, chunks, media = small
    raw = bytearray(path.read_bytes())
    data = [(start, end) for name, start, end in layout(bytes(raw)) if name == f"{frame}.data"][1]
    start, end = data
    altered = bytes(raw[start:end]).replace(b"Story 2", b"Story 9") if frame == "chunk" else bytes(
        [raw[start] ^ 1]) + bytes(raw[start + 1:end])
    assert altered != raw[start:end]
    raw[start:end] = altered
    raw[end:end + 32] = hashlib.sha256(altered).digest()
    path.write_bytes(raw)
    assert refused(path).code == "bad_signature"
    got = []
    with pytest.raises(BundleError) as caught:
        for kind, value in read_bundle(path, key=KEY):
            got.append((kind, value[0] if kind == "media" else value))
    assert caught.value.code == "bad_signature"
    expected = [("media", name) for name, _, _ in media] + [("chunk", c) for c in chunks]
    assert got == expected[:1] if frame == "media" else got == expected[:4]
