"""Why an apply stopped short, beyond the shared error tree: both are ``PlanError`` (exit 1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ftops.errors import PlanError


class CheckFailedError(PlanError):
    """A promotion's check failed against the new model: the name keeps its old model."""


class JobFailedError(PlanError):
    """A job that a promotion waited for ended failed or cancelled."""


class WaitStopped(PlanError):
    """A wait for a job ended early (Ctrl-C, or another change failed); the job keeps running."""


class GateRefusedError(PlanError):
    """The gate did not pass a promotion's candidate (FAIL, or INCONCLUSIVE not accepted): the name
    keeps its old model and nothing is pruned. ``verdict``: what the state keeps of it."""

    def __init__(self, message: str, *, hint: str | None = None,
                 verdict: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, hint=hint)
        self.verdict = verdict
