"""The lifecycle tests' world: an emulator on a loopback port, configured per test (shutdown
dates, refusals), a one-job project pointing at it, and ``ftops`` run in-process as the
console script runs it. The emulator's request log is the witness of what was sent."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from ftops.emulator import EmulatorConfig, RunningEmulator, start_background

from .support import FAKE_KEY, OLD_BASE, SPEED, SUCCESSOR, Result, World, day, examples


@pytest.fixture
def world_factory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., World]]:
    """``world(**EmulatorConfig settings)``: a fresh emulator and the project pointing at it."""
    started: list[RunningEmulator] = []
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("FTOPS_JOB_CUTOFF", raising=False)
    monkeypatch.delenv("FTOPS_SHUTDOWN_WARNING_DAYS", raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")

    def make(**settings: Any) -> World:
        settings.setdefault("speed", SPEED)
        # The catalog's real dates (2027-01-14 for both bases) would fail these tests once past;
        # every date here is relative to today, and a test's own dates win.
        dates = {OLD_BASE: day(3650), SUCCESSOR: day(3650), **dict(settings.get("model_shutdowns", ()))}
        settings["model_shutdowns"] = tuple(dates.items())
        data_dir = tmp_path / f"emulator-{len(started)}"
        emulator = start_background(EmulatorConfig(data_dir=data_dir, **settings))
        started.append(emulator)
        root = tmp_path / f"project-{len(started)}"
        for folder in ("manifests", "datasets", "state"):
            (root / folder).mkdir(parents=True)
        (root / "datasets" / "train.jsonl").write_text("".join(json.dumps(e) + "\n" for e in examples()))
        world = World(root, emulator, lambda *args: _invoke(root, monkeypatch, args))
        world.write_manifest()
        return world

    yield make
    for emulator in started:
        emulator.stop()


def _invoke(root: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]) -> Result:
    from ftops.cli import main

    monkeypatch.chdir(root)
    monkeypatch.setattr(sys, "argv", ["ftops", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main()
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    return Result(code, out.getvalue(), err.getvalue())
