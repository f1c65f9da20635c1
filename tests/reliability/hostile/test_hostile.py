"""Hostile and broken input (issue 8, item 5): for every case of ``cases.CASES``, the real CLI,
run as its own process on a copy of a converged project, exits 1 with one clear error
(``Error: ...``, no traceback, no "internal error"), sends no request to the API (the
emulator's request log stays empty), and leaves the state file byte-for-byte as it was.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e.support import FAKE_KEY, REPO, SPEED, make_project, spawn

from ftops.emulator import EmulatorConfig, RunningEmulator, start_background

from .cases import CASES, STATE, Case

TIMEOUT_S = 60  # a case that hangs (a FIFO, /dev/zero) fails instead of blocking the suite

@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    emu = start_background(EmulatorConfig(data_dir=tmp_path_factory.mktemp("emulator"), speed=SPEED))
    yield emu
    emu.stop()

@pytest.fixture(scope="module")
def converged(emulator: RunningEmulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project applied once (state written, jobs done): each case breaks a copy of it."""
    project = make_project(tmp_path_factory.mktemp("template") / "project", emulator)
    process = spawn(project, "apply", "--auto-approve", "--wait")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, out + err
    return project.root

def cli(root: Path, env: dict[str, str | None], *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "OPENAI_API_KEY": FAKE_KEY, "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    environment.pop("CI", None)
    for name, value in env.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return subprocess.run(
        [sys.executable, "-m", "ftops", *args], cwd=root, env=environment, capture_output=True,
        text=True, errors="replace", timeout=TIMEOUT_S, stdin=subprocess.DEVNULL, check=False,
    )

def test_the_corpus_is_big_enough() -> None:
    assert len(CASES) >= 60
    assert len({case.name for case in CASES}) == len(CASES)

@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_input_is_refused_cleanly(
    case: Case, converged: Path, emulator: RunningEmulator, tmp_path: Path
) -> None:
    root = tmp_path / "project"
    shutil.copytree(converged, root, symlinks=True)

    def prepare(*args: str) -> None:
        done = cli(root, {}, *args)
        assert done.returncode == 0, done.stdout + done.stderr

    case.setup(root, prepare)
    state_before = (root / STATE).read_bytes()
    emulator.clear_requests()

    done = cli(root, case.env, *case.args)

    assert done.returncode == 1, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    assert "internal error" not in done.stderr, done.stderr
    # One clear message: "Error: ..." (its diagnostics may follow, indented), or for validate
    # its verdict "Invalid: N error(s)" after the diagnostics, each with its file and line.
    verdicts = [line for line in done.stderr.splitlines() if line.startswith(("Error:", "Invalid:"))]
    assert len(verdicts) == 1, done.stderr
    if verdicts[0].startswith("Invalid:"):
        assert re.search(r"^\S+\.(yaml|yml|jsonl)(:\d+)*: ", done.stdout, re.MULTILINE), done.stdout
    assert case.expect.lower() in (done.stdout + done.stderr).lower(), done.stderr
    assert emulator.requests() == [], [f"{r.method} {r.path}" for r in emulator.requests()]
    assert (root / STATE).read_bytes() == state_before
    assert not (root / "pwned").exists()

