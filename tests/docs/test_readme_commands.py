"""The README's test command is what CI runs (``.ci/run``), and the README says what the suite
needs: PostgreSQL (found by tests/state/pg_server.py) and how long it takes (issue 17)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def readme_test_command() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme.split("Run the whole test suite:", 1)[1]
    return re.search(r"```bash\n(.+?)\n```", section, flags=re.S).group(1).strip()  # type: ignore[union-attr]


def ci_command() -> str:
    lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("python3 -m venv"))
    return " && ".join(line for line in lines[start:] if line and not line.startswith("#"))


def test_ci_runs_the_readmes_test_command_exactly() -> None:
    assert ci_command() == readme_test_command()


def test_the_readme_says_what_the_suite_needs_and_how_long_it_takes() -> None:
    readme = (REPO / "README.md").read_text()
    assert "tests/state/pg_server.py" in readme and (REPO / "tests/state/pg_server.py").is_file()
    assert "PostgreSQL" in readme.split("Run the whole test suite:", 1)[1].split("## ", 1)[0]
    assert re.search(r"about \d+-\d+ minutes with `-n 2`", readme)
