"""Photos and voice recorded on the phone: made small, kept offline, sent once, resumed after a cut.

Chromium runs with a fake microphone that plays a generated, speech-like WAV file, so the
recorder gets real sound to encode; photos are generated camera files with GPS in their EXIF
(bench/media_samples.py).
"""
import base64
import hashlib
import io
import random
import threading
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from bench.media_samples import camera_photo, speech_like_wav
from tests.e2e.browser import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, PHONE, SQLITE_ONLY, eventually, outbox, rows,
                              sign_in, wait_for_worker)

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]


@pytest.fixture(scope="module")
def media_browser(playwright_driver, tmp_path_factory):
    wav = speech_like_wav(tmp_path_factory.mktemp("voice") / "voice.wav")
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=[
        *CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}"])
    yield browser
    browser.close()


@pytest.fixture
def app_config(app_config):
    """The server counts the bytes each file receives (app.extensions, never served)."""
    return {**app_config, "MEDIA_COUNT_RECEIVED": True}


@pytest.fixture
def inprocess_server(app):
    """The test's own app served by waitress in a thread, so the test can read its counters."""
    from waitress.server import create_server
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    server.task_dispatcher.shutdown()
    thread.join(5)


@pytest.fixture
def phone(media_browser):
    """phone(locale=...): a fresh phone-sized profile on the browser with the fake microphone."""
    contexts = []

    def make(**options):
        context = media_browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                            locale=options.pop("locale", "en-GB"), **options)
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def noise_photo(size=(2000, 1500)) -> bytes:
    """Random pixels with GPS in EXIF: no encoder can make this small."""
    from PIL import Image
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (45.0, 26.0, 0.0), 3: "E", 4: (12.0, 20.0, 0.0)}
    out = io.BytesIO()
    Image.frombytes("RGB", size, random.Random(3).randbytes(size[0] * size[1] * 3)).save(
        out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


MEDIA_EMPTY = """async () => (await new Promise((resolve) => {
    const open = indexedDB.open('kultialogo');
    open.onsuccess = () => { const r = open.result.transaction('media').objectStore('media').count();
                             r.onsuccess = () => { open.result.close(); resolve(r.result); }; };
})) === 0"""


def ready_to_write(context, base_url, disguise=False):
    """The write form, ready offline. These tests follow the recording's own bytes, so the voice
    is not disguised unless asked (test_voice_disguise_offline.py)."""
    page = context.new_page()
    sign_in(page, base_url)
    page.goto(base_url + "/write")
    wait_for_worker(page)
    eventually(page, """async () => Boolean(await (await caches.open('kultialogo-pages-v1'))
        .match('/write', { ignoreVary: true }))""")
    expect(page.locator(".recorder")).to_be_visible()
    if not disguise:
        page.locator("#disguise_voice").uncheck()
    return page


def mine(page, text):
    return page.locator(".mine-item", has_text=text)


def keep_photo(page):
    """The blur tool opens on a chosen photo (#17, test_photo_blur.py): keep the photo as it is."""
    page.locator(".blur").get_by_role("button", name="Done").click()


def record(page, seconds=2):
    """Record about `seconds` of the fake microphone, pausing once, and stop."""
    page.get_by_role("button", name="Record", exact=True).click()
    expect(page.get_by_role("button", name="Stop")).to_be_focused()
    expect(page.locator(".recorder-status")).to_contain_text("Recording")
    expect(page.locator(".recorder .elapsed")).to_have_text(f"00:{seconds // 2:02d}")
    page.get_by_role("button", name="Pause").click()
    expect(page.locator(".recorder-status")).to_contain_text("Paused at")
    page.get_by_role("button", name="Resume").click()
    expect(page.locator(".recorder .elapsed")).to_have_text(f"00:{seconds:02d}")
    page.get_by_role("button", name="Stop").click()
    expect(page.locator(".recorder-result audio")).to_be_visible()
    expect(page.locator(".recorder-result .media-size")).to_contain_text("to send")
    expect(page.locator(".recorder-status")).to_contain_text("Recording finished")


def idb_media(page):
    """The media records kept on the phone: [{sha256, type, size, data (base64)}]."""
    return page.evaluate("""() => new Promise((resolve, reject) => {
        const open = indexedDB.open('kultialogo');
        open.onsuccess = () => {
            const request = open.result.transaction('media').objectStore('media').getAll();
            request.onsuccess = () => {
                open.result.close();
                resolve(request.result.map((r) => {
                    let text = ''; const bytes = new Uint8Array(r.data);
                    for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
                    return { sha256: r.sha256, type: r.type, size: r.size, data: btoa(text) };
                }));
            };
            request.onerror = () => reject(request.error);
        };
    })""")


def stored(app, sha256):
    """(the MediaFile row as a dict, the stored bytes) on the server."""
    from kultialogo.extensions import db
    from kultialogo.media.models import MediaFile
    from kultialogo.media.store import get_store
    db.session.remove()
    row = db.session.get(MediaFile, sha256)
    data = None
    if row is not None:
        info = {"content_type": row.content_type, "width": row.width, "height": row.height, "size": row.size}
        data = get_store().local_path(sha256).read_bytes()
    else:
        info = None
    db.session.remove()
    return info, data


def media_count(app) -> int:
    from kultialogo.extensions import db
    from kultialogo.media.models import MediaFile
    db.session.remove()
    count = db.session.scalar(select(func.count()).select_from(MediaFile))
    db.session.remove()
    return count


def story(app, story_id):
    from kultialogo.extensions import db
    from kultialogo.stories.models import Story
    db.session.remove()
    found = db.session.get(Story, uuid.UUID(story_id))
    out = None if found is None else {"title": found.title, "body": found.body, "media": list(found.media or [])}
    db.session.remove()
    return out


def plays(page, url):
    """Fetch the media URL as the page would, then let an <audio> element read its length."""
    return page.evaluate("""async (url) => {
        const response = await fetch(url, { credentials: 'same-origin' });
        const type = response.headers.get('Content-Type');
        const bytes = (await response.arrayBuffer()).byteLength;
        const audio = new Audio();
        const duration = await new Promise((resolve, reject) => {
            audio.addEventListener('loadedmetadata', () => resolve(audio.duration), { once: true });
            audio.addEventListener('error', () => reject(new Error('cannot play: ' + (audio.error && audio.error.code))), { once: true });
            audio.src = url;
        });
        return { status: response.status, type, bytes, duration };
    }""", url)


def test_a_voice_story_recorded_offline_survives_a_reload_and_arrives_once_and_plays(app, people, live_server, phone):
    context = phone()
    page = ready_to_write(context, live_server.url)
    context.set_offline(True)
    record(page, seconds=2)
    page.fill("#title", "Our song by the river")
    # A story with a recording needs no written words.
    expect(page.locator("#body")).not_to_have_attribute("required", "")
    page.get_by_role("button", name="Send").click()
    expect(mine(page, "Our song by the river")).to_contain_text("Saved on this phone")
    [item] = outbox(page)
    [kept] = idb_media(page)
    assert item["data"]["media"] == [kept["sha256"]] and kept["type"] == "audio/webm"
    assert hashlib.sha256(base64.b64decode(kept["data"])).hexdigest() == kept["sha256"]
    # The form is empty again, ready for the next story.
    expect(page.locator(".recorder-result")).to_be_hidden()
    expect(page.get_by_role("button", name="Record", exact=True)).to_be_visible()

    page.reload()  # still offline: the page and the recording come from the phone
    expect(mine(page, "Our song by the river")).to_contain_text("Saved on this phone")
    assert [m["sha256"] for m in idb_media(page)] == [kept["sha256"]]
    assert rows(app, item["id"]) == 0

    context.set_offline(False)
    expect(mine(page, "Our song by the river")).to_contain_text("waiting for review")
    assert rows(app, item["id"]) == 1
    assert story(app, item["id"])["media"] == [kept["sha256"]]
    assert media_count(app) == 1
    info, data = stored(app, kept["sha256"])
    # The same recording, re-muxed without the browser's container tags (issue #13).
    from tests.media.tus import audio_info
    assert info["content_type"] == "audio/webm"
    (duration, samples, _tags), (_sent_duration, sent_samples, _sent) = (
        audio_info(data), audio_info(base64.b64decode(kept["data"])))
    # Every sample is kept, and the stored header's length is the packets' own (Opus decodes at
    # 48 kHz; the codec's delay and one frame make up the rest). The app writes its length from
    # its timer, which a loaded phone runs late by tens of milliseconds: the server's re-mux
    # replaces it, so that one is not compared.
    assert samples == sent_samples and abs(duration - samples * 1_000_000 / 48_000) < 30_000
    played = plays(page, f"/media/{kept['sha256']}")
    assert played["status"] == 200 and played["type"] == "audio/webm" and played["bytes"] == info["size"]
    assert 1.5 < played["duration"] < 10  # the length the recorder wrote into the file
    eventually(page, MEDIA_EMPTY)  # the bytes left the phone once the server had the story


def test_a_voice_only_story_with_no_words_is_sent_and_shown(app, people, live_server, phone):
    context = phone()
    page = ready_to_write(context, live_server.url)
    record(page, seconds=2)
    expect(page.locator("#title")).not_to_have_attribute("required", "")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".mine-item").first).to_contain_text("waiting for review")
    [sent] = page.locator(".mine-item").evaluate_all("(items) => items.map((li) => li.dataset.id)")
    saved = story(app, sent)
    assert saved["title"] == "" and saved["body"] == "" and len(saved["media"]) == 1
    page.goto(f"{live_server.url}/stories/{sent}")
    expect(page.locator("h1")).to_have_text("A voice story")
    expect(page.locator(".story-media audio")).to_have_count(1)


def test_a_camera_photo_chosen_offline_is_made_small_and_loses_its_location_before_it_leaves(app, people, live_server, phone):
    from PIL import Image
    context = phone()
    page = ready_to_write(context, live_server.url)
    original = camera_photo()
    context.set_offline(True)
    page.fill("#title", "The market on Saturday")
    page.fill("#body", "Oranges, bread and a man selling radios.")
    page.set_input_files("input[type=file][name=photo]",
                         files=[{"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": original}])
    keep_photo(page)
    row = page.locator(".attachment-photo")
    expect(row.locator(".media-size")).to_contain_text("Photo:")
    expect(row.locator(".media-size")).to_contain_text("KB to send")
    expect(row.locator("img.thumb")).to_be_visible()
    expect(row.get_by_role("button", name="Remove the photo")).to_be_visible()
    expect(page.locator(".compose .storage")).to_contain_text("Kultialogo uses")
    [kept] = idb_media(page)
    sent = base64.b64decode(kept["data"])
    with Image.open(io.BytesIO(sent)) as im:
        assert max(im.size) == 1600 and im.size == (1600, 1200)
        assert im.format == "WEBP" and not im.getexif() and "exif" not in im.info
    assert kept["size"] == len(sent) < len(original) / 5
    page.get_by_role("button", name="Send").click()
    expect(mine(page, "The market on Saturday")).to_contain_text("Saved on this phone")

    context.set_offline(False)
    expect(mine(page, "The market on Saturday")).to_contain_text("waiting for review")
    [item_id] = [i for i in page.locator(".mine-item").evaluate_all("(items) => items.map((li) => li.dataset.id)")]
    assert story(app, item_id)["media"] == [kept["sha256"]]
    info, data = stored(app, kept["sha256"])
    with Image.open(io.BytesIO(data)) as im:
        assert max(im.size) <= 1600 and not im.getexif() and "exif" not in im.info
    assert (info["width"], info["height"]) == (1600, 1200)


def test_a_photo_can_be_removed_before_sending(app, people, live_server, phone):
    context = phone()
    page = ready_to_write(context, live_server.url)
    page.fill("#title", "No photo after all")
    page.set_input_files("input[type=file][name=photo]",
                         files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": camera_photo((800, 600))}])
    keep_photo(page)
    row = page.locator(".attachment-photo")
    expect(row.locator(".media-size")).to_contain_text("to send")
    assert len(idb_media(page)) == 1  # kept with the draft
    row.get_by_role("button", name="Remove the photo").click()
    expect(row).to_have_count(0)
    expect(page.locator("input[name=photo]")).to_be_focused()
    assert page.locator("input[name=photo]").evaluate("(input) => input.files.length") == 0
    eventually(page, MEDIA_EMPTY)
    expect(page.locator("#body")).to_have_attribute("required", "")


def test_an_upload_cut_mid_chunk_resumes_from_the_server_offset_and_sends_less_than_a_chunk_again(
        app, people, inprocess_server, phone):
    from PIL import Image

    from kultialogo import limits
    from kultialogo.media.service import RECEIVED_KEY
    chunk = limits.MEDIA_CHUNK_BYTES
    context = phone()
    page = ready_to_write(context, inprocess_server)
    context.set_offline(True)
    page.fill("#title", "Snow on the hills")
    page.fill("#body", "The first snow this year.")
    # A photo of pure sensor noise: still large after resizing, so it takes several chunks.
    page.set_input_files("input[type=file][name=photo]", files=[
        {"name": "IMG_3001.jpg", "mimeType": "image/jpeg", "buffer": noise_photo()}])
    keep_photo(page)
    expect(page.locator(".attachment-photo .media-size")).to_contain_text("to send")
    page.get_by_role("button", name="Send").click()
    expect(mine(page, "Snow on the hills")).to_contain_text("Saved on this phone")
    [kept] = idb_media(page)
    size = kept["size"]
    assert size > 2 * chunk, size

    patches, heads, held, cut = [], [], [], {}

    def network(route):
        request = route.request
        if request.method == "HEAD":
            heads.append(len(patches))
        if request.method != "PATCH":
            route.continue_()
            return
        offset, body = int(request.headers["upload-offset"]), request.post_data_buffer
        patches.append((offset, len(body)))
        if len(patches) == 2:
            # Half of the second chunk reaches the server, then the signal goes.
            route.fetch(post_data=body[:len(body) // 2])
            cut["at"] = offset + len(body) // 2
            context.set_offline(True)
            route.abort("connectionreset")
        elif cut and len(patches) == 3:
            held.append(route)  # answered below, once the progress bar has been checked
        else:
            route.continue_()

    context.route("**/api/v1/media/uploads/*", network)
    context.set_offline(False)  # signal: the upload starts...
    eventually(page, """async () => { const [item] = await new Promise((resolve) => {
        const open = indexedDB.open('kultialogo');
        open.onsuccess = () => { const r = open.result.transaction('outbox').objectStore('outbox').getAll();
                                 r.onsuccess = () => { open.result.close(); resolve(r.result); }; }; });
        return item && item.attempts > 0 && item.lastError && item.lastError.code === 'network'; }""")
    assert cut["at"] == chunk + chunk // 2 and len(patches) == 2
    assert rows(app, outbox(page)[0]["id"]) == 0

    context.set_offline(False)  # ...and the signal comes back: it asks the server where it stands
    bar = page.get_by_role("progressbar", name="Photo:")
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("value", str(cut["at"]))
    expect(bar).to_have_attribute("max", str(size))
    expect(page.locator(".file-progress")).to_contain_text("of")
    assert len(held) == 1 and patches[2][0] == cut["at"] and heads and heads[-1] == 2
    held[0].continue_()
    expect(mine(page, "Snow on the hills")).to_contain_text("waiting for review")

    received = app.extensions[RECEIVED_KEY]["bytes"][kept["sha256"]]
    assert size <= received < size + chunk, (received, size)
    assert sum(n for _offset, n in patches) - (patches[1][1] - patches[1][1] // 2) == size  # nothing re-sent
    info, data = stored(app, kept["sha256"])
    with Image.open(io.BytesIO(data)) as im:
        assert max(im.size) <= 1600 and not im.getexif()
    assert media_count(app) == 1


def test_a_full_phone_says_so_and_keeps_the_words(app, people, live_server, phone):
    context = phone()
    page = ready_to_write(context, live_server.url)
    # Room for a few more words, not for a photo: storing a file throws as a full disk does.
    # (Chromium's quota override through CDP does not reach IndexedDB writes at once.)
    page.evaluate("""() => {
        const put = IDBObjectStore.prototype.put;
        IDBObjectStore.prototype.put = function (...args) {
            if (this.name === 'media') throw new DOMException('The phone is full', 'QuotaExceededError');
            return put.apply(this, args);
        };
    }""")
    context.set_offline(True)
    page.fill("#title", "When the phone was full")
    page.fill("#body", "I wrote this with no room left.")
    page.set_input_files("input[type=file][name=photo]",
                         files=[{"name": "big.jpg", "mimeType": "image/jpeg", "buffer": noise_photo()}])
    keep_photo(page)
    status = page.locator(".compose-status")
    expect(status).to_have_text("This phone is full: free some space or remove a photo; your text is kept.")
    expect(page.locator(".attachment-photo .media-size")).to_contain_text("to send")
    page.get_by_role("button", name="Send").click()
    expect(status).to_have_text("This phone is full: free some space or remove a photo; your text is kept.")
    expect(page.locator("#title")).to_have_value("When the phone was full")
    expect(page.locator("#body")).to_have_value("I wrote this with no room left.")
    # The status line said "full" before Send too, so it does not show that Send's handler is
    # done: its failed enqueue is followed by a draft write, which is waited for here.
    drafts = eventually(page, """async () => {
        const drafts = await new Promise((resolve) => {
            const open = indexedDB.open('kultialogo');
            open.onsuccess = () => { const r = open.result.transaction('drafts').objectStore('drafts').getAll();
                                     r.onsuccess = () => { open.result.close(); resolve(r.result); }; }; });
        return drafts.length ? drafts : null; }""")
    assert [d["fields"]["title"] for d in drafts] == ["When the phone was full"]
    assert outbox(page) == []  # nothing half-stored

    page.reload()  # the words come back from the draft
    expect(page.locator("#body")).to_have_value("I wrote this with no room left.")


def test_compose_with_a_recording_and_a_photo_in_english_and_arabic_and_both_survive_a_reload(app, people, live_server, phone):
    ARTIFACTS.mkdir(exist_ok=True)
    context = phone()
    page = ready_to_write(context, live_server.url)
    page.fill("#title", "Bread from home")
    record(page, seconds=2)
    page.set_input_files("input[type=file][name=photo]",
                         files=[{"name": "IMG_1107.jpg", "mimeType": "image/jpeg", "buffer": camera_photo((2000, 1500))}])
    keep_photo(page)
    expect(page.locator(".attachment-photo .media-size")).to_contain_text("KB to send")
    eventually(page, """async () => { const d = await new Promise((resolve) => {
        const open = indexedDB.open('kultialogo');
        open.onsuccess = () => { const r = open.result.transaction('drafts').objectStore('drafts').getAll();
                                 r.onsuccess = () => { open.result.close(); resolve(r.result[0]); }; }; });
        return d && d.media && d.media.photo && d.media.audio; }""")
    page.locator(".recorder").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "compose-media-en.png"))

    page.select_option("#lang-select", "ar")
    with page.expect_navigation():
        page.locator("form.lang button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    # The draft came back with its photo and recording.
    expect(page.locator("#title")).to_have_value("Bread from home")
    expect(page.locator(".attachment-photo img.thumb")).to_be_visible()
    expect(page.locator(".recorder-result audio")).to_be_visible()
    page.locator(".recorder").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "compose-media-ar.png"))
    box, row = page.locator(".recorder").bounding_box(), page.locator(".attachment-photo").bounding_box()
    width = page.viewport_size["width"]
    for part in (box, row):
        assert part["x"] >= 0 and part["x"] + part["width"] <= width  # nothing wider than the phone
    thumb = page.locator(".attachment-photo img.thumb").bounding_box()
    assert thumb["x"] + thumb["width"] > width / 2  # mirrored: the preview sits on the right


def test_the_recorder_stops_by_itself_at_the_longest_length_the_server_allows(app, people, live_server, phone):
    context = phone()
    page = ready_to_write(context, live_server.url)
    # As if the server's limits said two seconds (the real figure is in /api/v1/limits).
    page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open('kultialogo');
        open.onsuccess = () => {
            const tx = open.result.transaction('meta', 'readwrite');
            tx.objectStore('meta').put({ key: 'limits', value: { at: Date.now(), limits: { media: { record_max_seconds: 2 } } } });
            tx.oncomplete = () => { open.result.close(); resolve(); };
        };
    })""")
    page.reload()
    expect(page.locator(".recorder-time")).to_contain_text("00:02")
    page.get_by_role("button", name="Record", exact=True).click()
    expect(page.locator(".recorder-status")).to_have_text("The longest recording is 00:02: it stopped there.")
    expect(page.locator(".recorder-result .media-size")).to_contain_text("Recording: 00:02")
    expect(page.locator(".recorder-result audio")).to_be_focused()
    page.get_by_role("button", name="Delete and record again").click()
    expect(page.get_by_role("button", name="Record", exact=True)).to_be_focused()
    expect(page.locator(".recorder-status")).to_contain_text("deleted")
    eventually(page, MEDIA_EMPTY)
