"""Why an apply stopped short, beyond the shared error tree: both are ``PlanError`` (exit 1)."""

from __future__ import annotations

from ftops.errors import PlanError


class CheckFailedError(PlanError):
    """A promotion's check failed against the new model: the name keeps its old model."""


class JobFailedError(PlanError):
    """A job that a promotion waited for ended failed or cancelled."""


class WaitStopped(PlanError):
    """A wait for a job ended early (Ctrl-C, or another change failed); the job keeps running."""
