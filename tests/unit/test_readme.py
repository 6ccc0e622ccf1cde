"""What the README tells a newcomer to type works, and shows something."""
import csv
import io
import re
import shlex
from pathlib import Path

from kultialogo import cli
from kultialogo.demo import load_demo

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _export_examples() -> list[list[str]]:
    lines = re.findall(r"^kultialogo (export [^#\n]*)", README, flags=re.M)
    assert lines, "the README shows an export example"
    examples = []
    for line in lines:
        args = shlex.split(line)
        if "-o" in args:  # to stdout instead of a file
            at = args.index("-o")
            del args[at:at + 2]
        examples.append(args)
    return examples


def test_the_readme_export_examples_give_numbers_on_the_demo_content(app):
    load_demo()
    runner = app.test_cli_runner()
    for args in _export_examples():
        result = runner.invoke(cli.cli, args)
        assert result.exit_code == 0, (args, result.output)
        rows = list(csv.DictReader(io.StringIO(result.output.lstrip("\ufeff"))))
        numbers = [int(v) for row in rows for k, v in row.items() if k != "id" and v and v.isdigit()]
        assert rows and sum(numbers) > 0, (args, result.output[:500])
