"""The example of docs/api.md runs as written, against an emulator, in the example project."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from gitops.support import REPO, copy_openai_example, run_ftops

from ftops.emulator import RunningEmulator

API_PAGE = REPO / "docs" / "api.md"


def python_blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)


def test_the_api_example_runs_and_converges(tmp_path: Path, emulator: RunningEmulator,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # The example in its OpenAI form: the page's code reads OpenAI's per-step losses.
    example = copy_openai_example(tmp_path / "project")
    (code,) = python_blocks(API_PAGE)
    done = subprocess.run([sys.executable, "-c", code], cwd=example, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "  create  datasets.chunsik-train  (new dataset: 60 examples" in out
    assert "  create  jobs.chunsik  (new job)" in out
    assert "estimated training cost: $0.05" in out
    assert re.search(r"^4 changes done in \d+ requests$", out, flags=re.M)
    assert re.search(r"^\{'chunsik': 'ft:gpt-4\.1-mini-2025-04-14:emulator:chunsik:\w+'\}$", out, flags=re.M)
    assert "No sign of overfitting" in out
    # ... and, as the page says, a plan right after it has nothing to do.
    assert run_ftops(example, "plan", "--detailed-exitcode", monkeypatch=monkeypatch).code == 0
