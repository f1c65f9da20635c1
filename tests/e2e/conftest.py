"""End-to-end fixtures: an emulator on a loopback port, the test project, and ``run`` (the CLI in-process)."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from ftops.emulator import EmulatorConfig, RunningEmulator, start_background

from .support import FAKE_KEY, SPEED, Project, Result, make_project


@pytest.fixture
def emulator_factory(tmp_path: Path) -> Iterator[Callable[..., RunningEmulator]]:
    started: list[RunningEmulator] = []

    def start(faults: str | None = None, speed: float = SPEED, **kwargs: Any) -> RunningEmulator:
        emu = start_background(
            EmulatorConfig(
                data_dir=tmp_path / f"emulator-{len(started)}", speed=speed, faults=faults, **kwargs
            )
        )
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()


@pytest.fixture
def project(tmp_path: Path, emulator_factory: Callable[..., RunningEmulator],
            monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Project:
    """The test project on a fresh emulator; indirect parametrization passes a fault spec."""
    # A fault spec, or a dict of EmulatorConfig settings (e.g. {"speed": 1.0}).
    param = getattr(request, "param", None)
    settings: dict[str, Any] = param if isinstance(param, dict) else {"faults": param}
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("FTOPS_EMULATOR_SPEED", str(SPEED))  # for --provider emulator runs
    return make_project(tmp_path / "project", emulator_factory(**settings))


@pytest.fixture
def run(project: Project, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """``ftops ARGS`` in this process, from the project root, as the console script runs it."""
    from ftops.cli import main

    def invoke(*args: str, stdin: str = "") -> Result:
        monkeypatch.chdir(project.root)
        monkeypatch.setattr(sys, "argv", ["ftops", *args])
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        out, err = io.StringIO(), io.StringIO()
        code = 0
        with redirect_stdout(out), redirect_stderr(err):
            try:
                main()
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        return Result(code, out.getvalue(), err.getvalue())

    return invoke


