"""Stacked bar charts drawn as inline SVG on the server: no JavaScript, no chart library.

Presentation attributes only (fill="", x=""), never style="" (the CSP forbids inline styles).
Each chart is role="img" with its title as aria-label and <title>; the numbers are in a table
beside it for screen readers. In a right-to-left language the time axis runs right to left and
the value axis sits on the right. Sized for a 360 px phone: the viewBox is about that wide, so
text stays readable when the chart shrinks to the screen.
"""
import math
from collections.abc import Callable
from datetime import date

from markupsafe import Markup, escape

WIDTH, HEIGHT = 360, 210
AXIS, EDGE, TOP, BOTTOM = 36, 8, 16, 30   # value labels, far edge, headroom, period labels
FONT = 11
CHAR = 6.2          # average advance of a character at FONT px (Latin, Arabic, Cyrillic alike)
INK, MUTED, LINE = "#1b1f23", "#4f5a63", "#d9d6cf"


def nice_ticks(maximum: int, count: int = 4) -> list[int]:
    """0 and a few round steps (1, 2 or 5 times a power of ten) reaching at least ``maximum``."""
    if maximum <= 0:
        return [0, 1]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(int(step), 1)
    top = step * math.ceil(maximum / step)
    return list(range(0, top + 1, step))


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bar_chart(table, *, chart_id: str, rtl: bool, period_label: Callable[[date], str],
              number: Callable[[int], str], empty_text: str) -> Markup:
    """A stacked bar per period (``table.periods``), one colour per series (``table.series``)."""
    periods, series = table.periods, table.series
    n = max(len(periods), 1)
    totals = table.totals
    ticks = nice_ticks(max(totals, default=0))
    top_value = ticks[-1]
    plot_w = WIDTH - AXIS - EDGE
    plot_h = HEIGHT - TOP - BOTTOM
    x0 = EDGE if rtl else AXIS            # the plot's left edge
    base = TOP + plot_h                   # y of zero
    slot = plot_w / n
    bar_w = max(slot * 0.72, 1.0)

    def x_of(i: int) -> float:           # left edge of period i's bar; time runs with the text
        position = (n - 1 - i) if rtl else i
        return x0 + position * slot + (slot - bar_w) / 2

    def y_of(value: float) -> float:
        return base - (value / top_value) * plot_h

    title = str(table.title)
    out = [f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
           f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" direction="ltr" '
           f'font-size="{FONT}" preserveAspectRatio="xMidYMid meet">',
           f"<title>{escape(title)}</title>"]
    # Value axis: grid lines and their numbers, on the side the text starts from.
    label_x = (WIDTH - EDGE - plot_w - 4) if not rtl else (x0 + plot_w + 4)
    anchor = "end" if not rtl else "start"
    for tick in ticks:
        y = y_of(tick)
        out.append(f'<line x1="{_f(x0)}" y1="{_f(y)}" x2="{_f(x0 + plot_w)}" y2="{_f(y)}" '
                   f'stroke="{LINE if tick else MUTED}" stroke-width="1"/>')
        out.append(f'<text x="{_f(label_x)}" y="{_f(y + FONT / 3)}" text-anchor="{anchor}" '
                   f'fill="{MUTED}">{escape(number(tick))}</text>')
    # Bars, stacked from the axis up in series order.
    for i, start in enumerate(periods):
        running = 0
        shown = escape(period_label(start))
        for s in series:
            value = s.values[i]
            if not value:
                continue
            y_top, y_bottom = y_of(running + value), y_of(running)
            out.append(f'<rect x="{_f(x_of(i))}" y="{_f(y_top)}" width="{_f(bar_w)}" '
                       f'height="{_f(max(y_bottom - y_top, 0.5))}" fill="{s.colour}">'
                       # FSI ... PDI: the plain-text <bdi> (a community's name, in any script).
                       f"<title>\u2068{escape(s.label)}\u2069 · {shown}: {escape(number(value))}</title></rect>")
            running += value
    # Totals over the bars, when every one fits in its slot.
    if any(totals) and all(len(number(t)) * CHAR * 0.9 <= slot for t in totals):
        for i, total in enumerate(totals):
            if total:
                out.append(f'<text x="{_f(x_of(i) + bar_w / 2)}" y="{_f(y_of(total) - 3)}" text-anchor="middle" '
                           f'font-size="{FONT - 1}" fill="{INK}">{escape(number(total))}</text>')
    # Period labels: as many as fit without overlapping, always the first and the last.
    widest = max((len(period_label(p)) for p in periods), default=1) * CHAR + 6
    every = max(1, math.ceil(widest / slot))
    shown_at = set(range(0, len(periods), every))
    if periods and (len(periods) - 1) % every and (len(periods) - 1 - max(shown_at)) * slot >= widest:
        shown_at.add(len(periods) - 1)
    for i in sorted(shown_at):
        cx = x_of(i) + bar_w / 2
        out.append(f'<text x="{_f(cx)}" y="{_f(base + FONT + 6)}" text-anchor="middle" '
                   f'fill="{MUTED}">{escape(period_label(periods[i]))}</text>')
    if not any(totals):
        out.append(f'<text x="{_f(x0 + plot_w / 2)}" y="{_f(TOP + plot_h / 2)}" text-anchor="middle" '
                   f'fill="{MUTED}">{escape(empty_text)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def swatch(colour: str) -> Markup:
    """A legend's colour square (an SVG, so no style attribute is needed)."""
    return Markup(f'<svg class="swatch" width="14" height="14" viewBox="0 0 14 14" aria-hidden="true" '
                  f'focusable="false"><rect width="14" height="14" rx="2" fill="{escape(colour)}"/></svg>')
