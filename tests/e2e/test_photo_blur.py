"""Blur a photo on the phone before it is kept or sent (#17, pwa/js/blur.js).

The astronaut photo (tests/fixtures) is attached; a box dragged over her face is blurred in the
pixels that IndexedDB keeps and the server receives, and the rest of the photo is the same as
the photo made small without the tool (photo.js `shrink`, run in the same browser), within
compression noise. The original is never kept on the phone, not even offline.
"""
import base64
import io
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import ARTIFACTS, SQLITE_ONLY, outbox, sign_in, wait_for_worker
from tests.e2e.test_accessibility import AUDIT, AXE_TAGS, _report, axe_source  # noqa: F401 (a fixture)
from tests.e2e.test_media_capture import idb_media, mine, stored, story

pytestmark = [pytest.mark.e2e, SQLITE_ONLY]

ASTRONAUT = Path(__file__).resolve().parents[1] / "fixtures" / "astronaut.jpg"
SIZE = 512  # the photo is smaller than the longest edge phones send: it keeps its size
# Her face with the hair, in the photo's pixels (looked at by eye): what the test drags over.
FACE = (160, 20, 300, 190)
LOADED = """() => performance.getEntriesByType('resource').map((e) => e.name)"""
# The photo made small as attach.js would without the tool: photo.js, the module the page uses.
# photo.js comes with attach.js, which the form imports once it is enhanced: wait until the page
# has it (a page just opened may not have fetched it yet).
SHRUNK = """async (b64) => {
    const find = () => performance.getEntriesByType('resource').map((e) => e.name).find((n) => n.includes('/static/js/photo.'));
    let url = find();
    for (let i = 0; !url && i < 400; i++) url = await new Promise((resolve) => setTimeout(() => resolve(find()), 25));
    const { shrink } = await import(url);
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const made = await shrink(new File([bytes], 'astronaut.jpg', { type: 'image/jpeg' }));
    const out = new Uint8Array(await made.file.arrayBuffer());
    let text = '';
    for (let i = 0; i < out.length; i += 8192) text += String.fromCharCode(...out.subarray(i, i + 8192));
    return btoa(text);
}"""
# Every byte string anywhere in the page's IndexedDB (any store, any depth), as SHA-256 hex.
IDB_HASHES = """async () => {
    const db = await new Promise((resolve, reject) => {
        const open = indexedDB.open('kultialogo');
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
    });
    const values = [];
    for (const name of db.objectStoreNames) {
        values.push(...await new Promise((resolve, reject) => {
            const request = db.transaction(name).objectStore(name).getAll();
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
        }));
    }
    db.close();
    const buffers = [];
    const walk = async (value, depth) => {
        if (value === null || typeof value !== 'object' || depth > 8) return;
        if (value instanceof Blob) buffers.push(await value.arrayBuffer());
        else if (value instanceof ArrayBuffer) buffers.push(value);
        else if (ArrayBuffer.isView(value)) buffers.push(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
        else for (const inner of Object.values(value)) await walk(inner, depth + 1);
    };
    for (const value of values) await walk(value, 0);
    const hex = (digest) => Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
    return Promise.all(buffers.map(async (b) => hex(await crypto.subtle.digest('SHA-256', b))));
}"""


def pixels(data: bytes):
    import numpy as np
    from PIL import Image
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"), dtype=np.float64)


def inside(box, margin):
    """Rows and columns of `box` (x0, y0, x1, y1) shrunk by `margin` on each side."""
    x0, y0, x1, y1 = box
    return slice(y0 + margin, y1 - margin), slice(x0 + margin, x1 - margin)


def outside_mask(box, margin, shape):
    import numpy as np
    mask = np.ones(shape[:2], dtype=bool)
    x0, y0, x1, y1 = box
    mask[max(0, y0 - margin):y1 + margin, max(0, x0 - margin):x1 + margin] = False
    return mask


def detail(region):
    """How much the picture changes from one pixel to the next (edges, eyes, mouth)."""
    import numpy as np
    grey = region.mean(axis=2)
    return float(np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean())


def assert_face_hidden_and_rest_kept(blurred_bytes, reference_bytes, box=FACE):
    import numpy as np
    blurred, reference = pixels(blurred_bytes), pixels(reference_bytes)
    assert blurred.shape == reference.shape == (SIZE, SIZE, 3)
    face = inside(box, 10)
    difference = np.abs(blurred[face] - reference[face]).mean()
    assert difference > 20, difference  # strongly changed
    assert detail(blurred[face]) < detail(reference[face]) / 4, (detail(blurred[face]), detail(reference[face]))
    rest = outside_mask(box, 12, blurred.shape)
    assert np.abs(blurred[rest] - reference[rest]).mean() < 3  # compression noise only


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def sha(data: bytes) -> str:
    import hashlib
    return hashlib.sha256(data).hexdigest()


def write_page(context, base_url, lang=None):
    if lang:
        context.add_cookies([{"name": "lang", "value": lang, "url": base_url}])
    page = context.new_page()
    sign_in(page, base_url)
    page.goto(base_url + "/write")
    page.locator("form#compose[data-enhanced]").wait_for(state="attached")
    return page


def choose_photo(page):
    page.set_input_files("input[type=file][name=photo]", files=[
        {"name": "IMG_0420.jpg", "mimeType": "image/jpeg", "buffer": ASTRONAUT.read_bytes()}])
    tool = page.locator(".blur")
    expect(tool.locator("canvas")).to_be_visible()
    return tool


def to_screen(page, x, y):
    """Photo pixels to page coordinates on the tool's canvas."""
    box = page.locator(".blur canvas").bounding_box()
    return box["x"] + x * box["width"] / SIZE, box["y"] + y * box["height"] / SIZE


def drag(page, box=FACE):
    page.locator(".blur canvas").scroll_into_view_if_needed()
    page.mouse.move(*to_screen(page, box[0], box[1]))
    page.mouse.down()
    page.mouse.move(*to_screen(page, (box[0] + box[2]) / 2, (box[1] + box[3]) / 2), steps=4)
    page.mouse.move(*to_screen(page, box[2], box[3]), steps=4)
    page.mouse.up()


def done(page):
    page.locator(".blur").get_by_role("button", name="Done").click()
    expect(page.locator(".blur")).to_have_count(0)
    expect(page.locator(".attachment-photo .media-size")).to_contain_text("to send")
    expect(page.locator(".attachment-photo img.thumb")).to_be_visible()


def kept(page, other_than=None):
    """The one photo the phone keeps for the story, once the attachment has settled: the thumb
    shows before the photo is written, and a replaced photo's record goes only after its
    successor is written (never zero kept), so a look too early finds none, or two."""
    deadline = time.monotonic() + 20
    while True:
        records = idb_media(page)
        if len(records) == 1:
            data = base64.b64decode(records[0]["data"])
            if other_than is None or sha(data) != other_than:
                return data
        assert time.monotonic() < deadline, f"{len(records)} photos kept on the phone"
        page.wait_for_timeout(100)


def test_a_box_dragged_over_the_face_blurs_it_in_what_is_kept_and_sent_and_undo_restores_it(
        app, people, live_server, context):
    page = write_page(context, live_server.url)
    # The tool is fetched only when a photo is chosen.
    assert not any("/static/js/blur." in name for name in page.evaluate(LOADED))
    reference = base64.b64decode(page.evaluate(SHRUNK, b64(ASTRONAUT.read_bytes())))

    tool = choose_photo(page)
    assert any("/static/js/blur." in name for name in page.evaluate(LOADED))
    undo = tool.get_by_role("button", name="Undo")
    expect(undo).to_be_disabled()
    # No photo is kept while the tool is open: nothing unblurred reaches IndexedDB.
    assert idb_media(page) == []
    drag(page)
    expect(undo).to_be_enabled()
    expect(tool.get_by_role("status")).to_have_text("Part of the photo is blurred.")
    undo.click()
    expect(undo).to_be_disabled()
    done(page)
    # Undone: exactly the photo made small without the tool.
    assert sha(kept(page)) == sha(reference)

    choose_photo(page)
    drag(page)
    done(page)
    blurred = kept(page, other_than=sha(reference))  # the new photo, not the one it replaced
    assert_face_hidden_and_rest_kept(blurred, reference)
    # The file input (the plain form's way) holds the blurred photo too.
    assert page.evaluate("""async () => { const f = document.querySelector('input[name=photo]').files[0];
        return f.size; }""") == len(blurred)

    page.fill("#title", "Our first day at the camp")
    page.fill("#body", "The orange suit made everyone laugh.")
    page.get_by_role("button", name="Send").click()
    expect(mine(page, "Our first day at the camp")).to_contain_text("waiting for review")
    [item_id] = page.locator(".mine-item").evaluate_all("(items) => items.map((li) => li.dataset.id)")
    [sha256] = story(app, item_id)["media"]
    assert sha256 == sha(blurred)
    _info, on_server = stored(app, sha256)
    assert_face_hidden_and_rest_kept(on_server, reference)


def test_offline_sent_with_the_tool_open_the_queued_photo_is_blurred_and_the_original_is_nowhere_on_the_phone(
        app, people, live_server, context):
    page = write_page(context, live_server.url)
    wait_for_worker(page)
    reference = base64.b64decode(page.evaluate(SHRUNK, b64(ASTRONAUT.read_bytes())))
    context.set_offline(True)
    page.reload()  # from the service worker's cache: blur.js is in it before any photo was chosen
    page.locator("form#compose[data-enhanced]").wait_for(state="attached")
    tool = choose_photo(page)
    page.fill("#title", "Written with no signal")
    page.fill("#body", "The photo waits on the phone.")
    drag(page)
    expect(tool.get_by_role("button", name="Undo")).to_be_enabled()
    # "Send" with the tool still open: the photo goes with the blur made so far.
    page.get_by_role("button", name="Send").click()
    expect(mine(page, "Written with no signal")).to_contain_text("Saved on this phone")
    expect(tool).to_have_count(0)

    [item] = outbox(page)
    [record] = idb_media(page)
    queued = base64.b64decode(record["data"])
    assert item["data"]["media"] == [record["sha256"]] == [sha(queued)]
    assert_face_hidden_and_rest_kept(queued, reference)
    held = set(page.evaluate(IDB_HASHES))
    assert sha(queued) in held  # the walk finds the bytes IndexedDB holds
    assert not {sha(ASTRONAUT.read_bytes()), sha(reference)} & held


def test_the_tool_works_on_an_arabic_page_by_touch_and_keyboard_with_big_targets(
        app, people, live_server, new_context, axe_source):
    ARTIFACTS.mkdir(exist_ok=True)
    for lang in ("en", "ar"):
        context = new_context()
        context.add_init_script(script=axe_source)
        page = write_page(context, live_server.url, lang=lang)
        assert page.evaluate("document.documentElement.dir") == ("rtl" if lang == "ar" else "ltr")
        tool = choose_photo(page)
        # axe (WCAG 2.2 AA), 44 px targets and focus rings on the page with the tool open.
        page.keyboard.press("Tab")
        found = page.evaluate(AUDIT, AXE_TAGS)
        assert not found, _report({lang: found})
        page.locator(".blur canvas").scroll_into_view_if_needed()
        buttons = tool.locator("button")
        expect(buttons).to_have_count(3)  # Undo, blur the whole photo, Done (no FaceDetector here)
        width = page.evaluate("document.documentElement.clientWidth")
        for i in range(3):
            box = buttons.nth(i).bounding_box()
            assert box["height"] >= 48 and box["width"] >= 48
            assert box["x"] >= 0 and box["x"] + box["width"] <= width
        canvas = page.locator(".blur canvas").bounding_box()
        assert canvas["x"] >= 0 and canvas["x"] + canvas["width"] <= width
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # A finger's tap on her face blurs a square around it (RTL does not mirror the photo).
        page.touchscreen.tap(*to_screen(page, 230, 110))
        expect(buttons.nth(0)).to_be_enabled()
        page.screenshot(path=str(ARTIFACTS / f"photo-blur-{lang}.png"), full_page=False)
        reference = base64.b64decode(page.evaluate(SHRUNK, b64(ASTRONAUT.read_bytes())))
        if lang == "ar":
            # The keyboard alone: the whole photo blurred, then Done.
            buttons.nth(1).focus()
            page.keyboard.press("Enter")
            page.keyboard.press("Tab")
            expect(buttons.nth(2)).to_be_focused()
            page.keyboard.press("Enter")
            expect(page.locator(".blur")).to_have_count(0)
            expect(page.locator("input[name=photo]")).to_be_focused()
            expect(page.locator(".attachment-photo img.thumb")).to_be_visible()
            whole = pixels(kept(page))
            assert detail(whole) < detail(pixels(reference)) / 4
        else:
            done(page)
            # The tap: a square a quarter of the photo's side (128 px) around the point.
            assert_face_hidden_and_rest_kept(kept(page), reference, box=(166, 46, 294, 174))


def test_blur_faces_appears_where_the_browser_finds_faces_and_blurs_each(app, people, live_server, context):
    # Chromium on Linux has no FaceDetector: stand one in that finds her face, to test the wiring.
    context.add_init_script("""self.FaceDetector = class {
        async detect(image) {
            if (!(image instanceof HTMLCanvasElement) || image.width !== 512) throw new Error('not the photo');
            return [{ boundingBox: new DOMRectReadOnly(190, 80, 70, 85) }];
        }
    };""")
    page = write_page(context, live_server.url)
    reference = base64.b64decode(page.evaluate(SHRUNK, b64(ASTRONAUT.read_bytes())))
    tool = choose_photo(page)
    tool.get_by_role("button", name="Blur faces").click()
    expect(tool.get_by_role("status")).to_have_text("Faces blurred: 1")
    done(page)
    # The box grown to take in the hair, ears and chin: 70 × 85 from (190, 80) is 117 × 170 from (167, 38).
    assert_face_hidden_and_rest_kept(kept(page), reference, box=(167, 38, 283, 208))
