"""Shared by the gitops, metrics and docs tests: the example project on a fixture emulator.

The emulator runs on an ephemeral loopback port; ``OPENAI_BASE_URL`` and
``TOGETHER_BASE_URL`` point the manifests' provider at it, so commands run exactly as a user (or a
CI recipe) would type them. ``ftops`` runs in this process (fast) or, for shell
lines with redirections, through bash as a separate process.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from ftops.emulator import EmulatorConfig, RunningEmulator, start_background

REPO = Path(__file__).resolve().parents[2]
OPENAI_EXAMPLE = REPO / "tests" / "fixtures" / "kakao-openai" / "kakao-friends.yaml"
FAKE_KEY = "sk-test-GITOPSGITOPS0123456789abcdef"
SPEED = 2000.0  # the example job (180 steps) ends in well under a second


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def copy_openai_example(root: Path) -> Path:
    """The example as it was on OpenAI (tests/fixtures/kakao-openai/), with the example's datasets:
    for tests of what only OpenAI's jobs show (its step counts, losses, ``ft:`` names)."""
    copy_example(root)
    shutil.copy(OPENAI_EXAMPLE, root / "manifests" / "kakao-friends.yaml")
    return root


def copy_example(root: Path) -> Path:
    """The repository's example project (manifests/, datasets/ and evals/) in a fresh folder."""
    root.mkdir(parents=True, exist_ok=True)
    for folder in ("manifests", "datasets", "evals"):
        shutil.copytree(REPO / folder, root / folder)
    return root


def start_emulator(data_dir: Path, speed: float = SPEED) -> RunningEmulator:
    return start_background(EmulatorConfig(data_dir=data_dir, speed=speed))


@pytest.fixture
def emulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningEmulator]:
    """A fast emulator, with the environment a CI runner would have (key set, CI=true)."""
    emu = start_emulator(tmp_path / "emulator")
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", emu.base_url)
    # The example trains on Together: its SDK reads its address from TOGETHER_BASE_URL likewise.
    monkeypatch.setenv("TOGETHER_API_KEY", FAKE_KEY)
    monkeypatch.setenv("TOGETHER_BASE_URL", emu.together_base_url)
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("NO_COLOR", "1")
    yield emu
    emu.stop()


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "project")


def run_ftops(cwd: Path, *args: str, monkeypatch: pytest.MonkeyPatch) -> Result:
    """``ftops ARGS`` in this process from ``cwd``, exactly as the console script runs it."""
    from ftops.cli import main

    with monkeypatch.context() as patch:
        patch.chdir(cwd)
        patch.setattr(sys, "argv", ["ftops", *args])
        patch.setattr(sys, "stdin", io.StringIO(""))
        out, err = io.StringIO(), io.StringIO()
        code = 0
        with redirect_stdout(out), redirect_stderr(err):
            try:
                main()
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    return Result(code, out.getvalue(), err.getvalue())


def run_shell(cwd: Path, line: str) -> Result:
    """One shell line (pipes, redirections) with this interpreter's ``ftops`` first on PATH."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": str(REPO)}
    if not (bin_dir / "ftops").exists():  # no console script here: a shim that runs the module
        shim = cwd / ".bin"
        shim.mkdir(exist_ok=True)
        (shim / "ftops").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m ftops "$@"\n')
        (shim / "ftops").chmod(0o755)
        env["PATH"] = f"{shim}{os.pathsep}{env['PATH']}"
    done = subprocess.run(["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    return Result(done.returncode, done.stdout, done.stderr)
