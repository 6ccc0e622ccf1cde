"""Right-to-left everywhere: the stylesheets use logical properties only, so an Arabic, Persian,
Urdu or Pashto page mirrors without a second stylesheet."""
import re
from pathlib import Path

CSS = sorted((Path(__file__).resolve().parents[2] / "pwa" / "css").glob("*.css"))
PHYSICAL = re.compile(
    r"(?<![\w-])(?:margin|padding|border|inset)-(?:left|right)\b"   # margin-left, border-right...
    r"|(?<![\w-])border-(?:top|bottom)-(?:left|right)-radius\b"
    r"|(?<![\w-])(?:left|right)\s*:"                                  # left: 0
    r"|(?:text-align|float|clear)\s*:\s*(?:left|right)\b")


def test_there_are_stylesheets():
    assert CSS


def test_no_physical_direction_in_the_stylesheets():
    found = []
    for path in CSS:
        text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
        for number, line in enumerate(text.splitlines(), 1):
            if PHYSICAL.search(line):
                found.append(f"{path.name}:{number}: {line.strip()}")
    assert not found, "use logical properties (margin-inline-start, inset-inline-end, text-align: start):\n" + "\n".join(found)
