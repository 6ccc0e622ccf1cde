"""`pip install .` builds without setuptools' warnings and the wheel carries every data file."""
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Checkout folder -> where it sits in the wheel; the data files that must ship from each.
SHIPPED = {
    "server/templates": "kultialogo/templates",
    "server/i18n": "kultialogo/i18n",
    "migrations": "kultialogo/migrations",
    "pwa/css": "kultialogo/pwa/css",
    "pwa/js": "kultialogo/pwa/js",
    "pwa/icons": "kultialogo/pwa/icons",
    "service-worker": "kultialogo/service_worker",
}


def _tracked(folder: str = ".") -> list[str]:
    out = subprocess.run(["git", "ls-files", folder], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


@pytest.mark.slow
def test_the_wheel_builds_quietly_with_templates_catalogs_migrations_and_the_shell(tmp_path):
    # A copy of the checkout's files: setuptools builds in the source folder, and a build/ left
    # from an earlier run would hide a file the packaging no longer picks up.
    source = tmp_path / "src"
    for path in _tracked():
        if (ROOT / path).is_file():
            (source / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / path, source / path)
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--verbose", "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    log = build.stdout + build.stderr
    assert build.returncode == 0, log[-3000:]
    for warning in ("Package would be ignored", "absent from the `packages` configuration"):
        assert warning not in log, f"setuptools warns: {warning!r}"
    (wheel,) = (tmp_path / "dist").glob("kultialogo-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = []
    for folder, target in SHIPPED.items():
        files = _tracked(folder)
        assert files, folder
        expected += [target + path[len(folder):] for path in files]
    assert not sorted(set(expected) - names), "files missing from the wheel"
