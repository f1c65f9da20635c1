"""The in-process emulator's speed: a fast default, tunable from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftops.emulator import EMBEDDED_SPEED, SPEED_ENV, EmulatorConfig, embedded_speed, start_background
from ftops.errors import UsageError


def test_embedded_speed_default_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SPEED_ENV, raising=False)
    assert embedded_speed() == EMBEDDED_SPEED == 100.0
    monkeypatch.setenv(SPEED_ENV, "2.5")
    assert embedded_speed() == 2.5


@pytest.mark.parametrize("value", ["0", "-3", "fast"])
def test_bad_speeds_are_usage_errors(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(SPEED_ENV, value)
    with pytest.raises(UsageError):
        embedded_speed()


def test_start_refuses_bad_settings_before_listening(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        start_background(EmulatorConfig(data_dir=tmp_path, speed=0))
    with pytest.raises(UsageError):
        start_background(EmulatorConfig(data_dir=tmp_path, faults="500:7"))
