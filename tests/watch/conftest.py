"""Watching tests run the real ``ftops`` as a separate process on a copy of the example project,
with the embedded emulator (``--provider emulator``), either on a pipe (CI-like) or on a real
pseudo-terminal (python's ``pty``), and capture exactly what it wrote."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FTOPS = [sys.executable, "-m", "ftops"]
# The example job (180 steps) runs in about two seconds: long enough for several polls.
SPEED = "250"
TIMEOUT_S = 120


@dataclass
class Run:
    code: int
    out: str  # stdout (and, on a terminal, stderr too: one screen)
    err: str = ""


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """The repository's example in its OpenAI form (tests/fixtures/kakao-openai/): the progress
    these tests read (steps, loss, ``succeeded``) is what OpenAI's jobs report."""
    root = tmp_path / "example"
    root.mkdir()
    for folder in ("manifests", "datasets"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "tests" / "fixtures" / "kakao-openai" / "kakao-friends.yaml",
                root / "manifests" / "kakao-friends.yaml")
    return root


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NO_COLOR", "CI", "OPENAI_API_KEY", "OPENAI_BASE_URL", "FORCE_COLOR")}
    env.update({"FTOPS_EMULATOR_SPEED": SPEED, "TERM": "xterm-256color", "COLUMNS": "160"})
    env.update(extra)
    return env


def run_piped(cwd: Path, *args: str, **env: str) -> Run:
    """As in CI: stdout and stderr are pipes, not a terminal."""
    done = subprocess.run([*FTOPS, *args], cwd=cwd, env=environment(**env), capture_output=True, text=True,
                          timeout=TIMEOUT_S, check=False)
    return Run(done.returncode, done.stdout, done.stderr)


def run_on_terminal(cwd: Path, *args: str, **env: str) -> Run:
    """On a real pseudo-terminal of 160x40: the bytes a person's terminal would receive."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    process = subprocess.Popen([*FTOPS, *args], cwd=cwd, env=environment(**env), stdin=slave, stdout=slave,
                               stderr=slave, close_fds=True)
    os.close(slave)
    screen = bytearray()
    deadline = time.monotonic() + TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                screen += chunk
            elif process.poll() is not None:
                break
        code = process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    return Run(code, screen.decode("utf-8", errors="replace"))
