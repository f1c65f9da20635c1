"""The README's quick start works on every calendar day (issue 21, item 8): its first command is
run as written (after the install, which CI has just done), today and on days after OpenAI's
fine-tuning shutdown, on a copy of the example project."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.gitops.support import run_shell

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_FOLDERS = ("manifests", "datasets", "evals")


def quick_start_commands() -> str:
    """The ftops part of the README's first command (what follows the install)."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.+?)\n```", section, flags=re.S).group(1).strip()  # type: ignore[union-attr]
    install = re.search(r"pip install -e (\S+) && ", block)
    assert install is not None, "the quick start installs ftops first"
    return block[install.end():]


def test_the_quick_start_installs_the_extra_the_examples_provider_needs() -> None:
    """The suite's environment has every extra; a new user's has only what the command installs."""
    readme = (REPO / "README.md").read_text()
    block = readme.split("## Quick start", 1)[1].split("```", 2)[1]
    manifest = (REPO / "manifests" / "kakao-friends.yaml").read_text()
    kind = re.search(r"^provider:\n  type: (\w+)", manifest, flags=re.M)
    assert kind is not None
    if kind.group(1) == "together":
        assert "pip install -e '.[together]'" in block


def example_project(tmp_path: Path) -> Path:
    root = tmp_path / "example"
    root.mkdir()
    for folder in EXAMPLE_FOLDERS:
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, root / folder)
    return root


@pytest.mark.parametrize("today", [None, "2027-01-06", "2027-01-20", "2031-06-30"])
def test_the_quick_start_works_on_every_calendar_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, today: str | None
) -> None:
    for name in ("OPENAI_API_KEY", "TOGETHER_API_KEY", "AZURE_OPENAI_API_KEY", "FTOPS_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    if today is None:
        monkeypatch.delenv("FTOPS_TODAY", raising=False)
    else:
        monkeypatch.setenv("FTOPS_TODAY", today)
    root = example_project(tmp_path)

    first = run_shell(root, quick_start_commands())

    assert first.code == 0, first.out + first.err
    assert "Ryan" in first.out.strip().splitlines()[-1]  # the answer, last
    again = run_shell(root, "ftops plan --provider emulator --detailed-exitcode")
    assert again.code == 0, again.out + again.err
    assert "No changes." in again.out
