"""Why an apply stopped short, beyond the shared error tree: the errors are ``PlanError`` (exit 1);
``WaitInterrupted`` is Ctrl-C (exit 130), not an error."""

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


class WaitInterrupted(KeyboardInterrupt):
    """Ctrl-C while waiting for jobs. Still a KeyboardInterrupt (nothing catches it as an error;
    the CLI exits 130), carrying what the user can do next: the jobs train on regardless."""

    def __init__(self, jobs: int) -> None:
        super().__init__(f"stopped waiting for {jobs} job(s); they keep running in the account")
        self.message = str(self)
        self.hint = ("Run `ftops wait` to pick them up, then `ftops apply` to promote their models "
                     "(or `ftops apply --wait` for both).")
