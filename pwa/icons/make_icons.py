"""Draw Kultialogo's app icons (run once after changing the design; the PNGs are committed).

A white speech bubble with three lines of "text" on the brand colour: a story being told.
Drawn at 4x and scaled down for smooth edges. `maskable` keeps the symbol inside the 80 %
safe zone and fills the whole square, as Android's adaptive icons want.

    /work/venv/bin/python pwa/icons/make_icons.py
"""
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
BRAND = (31, 95, 91, 255)
WHITE = (255, 255, 255, 255)
ACCENT = (179, 84, 30, 255)


def draw(size: int, *, maskable: bool) -> Image.Image:
    s = size * 4
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if maskable:
        d.rectangle((0, 0, s, s), fill=BRAND)
        scale, ox, oy = 0.62, 0.19, 0.17
    else:
        d.rounded_rectangle((0, 0, s - 1, s - 1), radius=int(s * 0.2), fill=BRAND)
        scale, ox, oy = 0.72, 0.14, 0.12

    def box(x0, y0, x1, y1):
        return (int(s * (ox + x0 * scale)), int(s * (oy + y0 * scale)),
                int(s * (ox + x1 * scale)), int(s * (oy + y1 * scale)))

    def pt(x, y):
        return (int(s * (ox + x * scale)), int(s * (oy + y * scale)))

    d.rounded_rectangle(box(0.0, 0.05, 1.0, 0.78), radius=int(s * scale * 0.16), fill=WHITE)
    d.polygon([pt(0.2, 0.7), pt(0.16, 0.98), pt(0.46, 0.74)], fill=WHITE)
    for i, width in enumerate((0.7, 0.6, 0.42)):
        y = 0.22 + i * 0.18
        colour = ACCENT if i == 0 else BRAND
        d.rounded_rectangle(box(0.15, y, 0.15 + width, y + 0.08), radius=int(s * scale * 0.04), fill=colour)
    return img.resize((size, size), Image.LANCZOS)


SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">
<rect width="100" height="100" rx="20" fill="#1f5f5b"/>
<rect x="14" y="15.6" width="72" height="52.6" rx="11.5" fill="#fff"/>
<path d="M28.4 62.4 25.5 82.6 47.1 65.3z" fill="#fff"/>
<rect x="24.8" y="27.8" width="50.4" height="5.8" rx="2.9" fill="#b3541e"/>
<rect x="24.8" y="40.8" width="43.2" height="5.8" rx="2.9" fill="#1f5f5b"/>
<rect x="24.8" y="53.8" width="30.2" height="5.8" rx="2.9" fill="#1f5f5b"/>
</svg>
"""


def main() -> None:
    draw(192, maskable=False).save(HERE / "icon-192.png", optimize=True)
    draw(512, maskable=False).save(HERE / "icon-512.png", optimize=True)
    draw(512, maskable=True).save(HERE / "icon-maskable-512.png", optimize=True)
    draw(192, maskable=True).save(HERE / "icon-maskable-192.png", optimize=True)
    # iOS puts its own mask on top and shows transparency as black: a full square.
    draw(180, maskable=True).convert("RGB").save(HERE / "apple-touch-icon.png", optimize=True)
    (HERE / "icon.svg").write_text(SVG)


if __name__ == "__main__":
    main()
