"""Fixtures for the reliability suite: the end-to-end ones (an emulator on a loopback port,
the test project, ``run`` = the CLI in-process), reused rather than copied, plus the
``--soak-rounds``/``--full`` switches for the long versions."""

from __future__ import annotations

import pytest
from e2e.conftest import emulator_factory, project, run

__all__ = ["emulator_factory", "project", "run"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ftops reliability")
    group.addoption("--soak-rounds", type=int, default=None,
                    help="rounds of the emulator soak (default 15, or $FTOPS_SOAK_ROUNDS)")
