"""Dependencies point one way: the import-linter contracts in pyproject.toml hold.

Plumbing imports no domain, accounts import nothing from stories, the story core imports
nothing built on it (those domains attach through kultialogo.stories.hooks), the feature
domains stack in layers, and neither the sync engine nor the privacy coordinator names a
domain (they go through kultialogo.records and kultialogo.personal_data).
"""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _lint(*args):
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(lint), *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_the_import_contracts_are_kept():
    run = _lint()
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_a_forbidden_import_breaks_the_build(tmp_path):
    """The check can fail: plumbing importing a domain is caught."""
    config = (ROOT / "pyproject.toml").read_text()
    start = config.index("[tool.importlinter]")
    end = config.index("[tool.pytest.ini_options]")
    rules = config[start:end].replace(
        'source_modules = ["kultialogo.extensions",', 'source_modules = ["kultialogo.privacy.service", "kultialogo.extensions",')
    (tmp_path / "rules.toml").write_text(rules)
    run = _lint("--config", str(tmp_path / "rules.toml"))
    assert run.returncode != 0
    assert "kultialogo.privacy.service is not allowed to import kultialogo.accounts" in run.stdout
