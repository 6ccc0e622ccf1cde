"""Faces in stored photos: found with the Haar cascade that ships inside the
``opencv-python-headless`` wheel (``cv2.data.haarcascades``; nothing is fetched at run time),
and blurred so that a face cannot be recognised.

Pixels only: which photos are checked, when, and what a blur replaces is in service.py.
Boxes are ``[x, y, width, height]`` in the stored image's pixels.
"""
import io
import threading

from PIL import Image, ImageFilter, ImageOps

CASCADE = "haarcascade_frontalface_default.xml"
DETECT_EDGE = 640          # photos are searched at most this big (faster; boxes scaled back)
SCALE_STEP = 1.15          # the cascade's window grows by this much per pass (1.1: slower, no better here)
MIN_FACE_FRACTION = 0.03   # the smallest face searched for, as a share of the shorter edge
CLICK_BOX_FRACTION = 0.2   # a click without JavaScript blurs a square this share of the shorter edge
BLUR_MARGIN = 0.15         # a face box grows by this share on each side before it is blurred
PIXEL_BLOCKS = 8           # a blurred region is first pixelated to about this many blocks across

_cascade = None
_lock = threading.Lock()   # one classifier, loaded once, not shared between threads at once


def _classifier():
    global _cascade
    if _cascade is None:
        import cv2  # late: OpenCV loads only when a photo is checked
        cascade = cv2.CascadeClassifier(cv2.data.haarcascades + CASCADE)
        if cascade.empty():
            raise RuntimeError(f"OpenCV's bundled {CASCADE} did not load")
        _cascade = cascade
    return _cascade


def detect(image: Image.Image) -> list[list[int]]:
    """Face boxes in the pixels of ``image`` (as stored: already upright, no EXIF)."""
    import cv2
    import numpy as np
    if image.format == "JPEG":
        image.draft("L", (DETECT_EDGE, DETECT_EDGE))  # decode at a reduced scale (no-op once loaded)
    gray = ImageOps.exif_transpose(image).convert("L")
    scale = 1.0
    if max(gray.size) > DETECT_EDGE:
        scale = max(gray.size) / DETECT_EDGE
        gray = gray.resize((max(1, round(gray.width / scale)), max(1, round(gray.height / scale))),
                           Image.Resampling.BILINEAR)
    pixels = cv2.equalizeHist(np.asarray(gray, dtype=np.uint8))
    smallest = max(20, int(min(gray.size) * MIN_FACE_FRACTION))
    with _lock:
        found = _classifier().detectMultiScale(pixels, scaleFactor=SCALE_STEP, minNeighbors=5,
                                               minSize=(smallest, smallest))
    return [[round(v * scale) for v in box] for box in (found.tolist() if len(found) else [])]


def click_box(x: int, y: int, width: int, height: int) -> list[int]:
    """A square around a clicked point, its side a share of the photo's shorter edge."""
    side = max(8, round(min(width, height) * CLICK_BOX_FRACTION))
    return [int(x) - side // 2, int(y) - side // 2, side, side]


def clamp(box, width: int, height: int) -> list[int] | None:
    """The part of ``box`` inside a ``width`` × ``height`` image; None if nothing is."""
    x, y, w, h = (int(v) for v in box)
    left, top = max(0, x), max(0, y)
    right, bottom = min(width, x + w), min(height, y + h)
    return [left, top, right - left, bottom - top] if right > left and bottom > top else None


def blur(image: Image.Image, boxes, margin: float = BLUR_MARGIN) -> Image.Image:
    """A copy with each box (grown by ``margin``) pixelated to about PIXEL_BLOCKS blocks
    across, then Gaussian-blurred: the face cannot be recognised, no sharp block edges remain."""
    out = image.convert("RGB") if image.mode not in ("RGB", "L") else image.copy()
    for box in boxes:
        x, y, w, h = box
        grown = clamp([x - w * margin, y - h * margin, w * (1 + 2 * margin), h * (1 + 2 * margin)],
                      out.width, out.height)
        if grown is None:
            continue
        gx, gy, gw, gh = grown
        area = (gx, gy, gx + gw, gy + gh)
        region = out.crop(area)
        block = max(1, round(max(gw, gh) / PIXEL_BLOCKS))
        small = region.resize((max(1, gw // block), max(1, gh // block)), Image.Resampling.BOX)
        region = small.resize((gw, gh), Image.Resampling.NEAREST)
        region = region.filter(ImageFilter.GaussianBlur(radius=max(2, block)))  # a block wide: no face-like blob left
        out.paste(region, area[:2])
    return out


def encode_jpeg(image: Image.Image) -> bytes:
    """JPEG as the upload pipeline writes it (checks.reencode_image): no EXIF, ICC or comments."""
    image = image.convert("RGB") if image.mode not in ("RGB", "L") else image
    image.info = {}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
    return buffer.getvalue()
