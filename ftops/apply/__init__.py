"""The executor: carries out a plan's steps in dependency order, writing the state as it goes."""

from __future__ import annotations

from ftops.apply.errors import CheckFailedError, JobFailedError, WaitStopped
from ftops.apply.executor import DEFAULT_PARALLELISM, ApplyResult, Outcome, Status, execute
from ftops.apply.journal import StateJournal
from ftops.apply.progress import PlainReporter, Reporter, make_reporter
from ftops.apply.waiting import WaitOptions, wait_for_job

__all__ = [
    "DEFAULT_PARALLELISM",
    "ApplyResult",
    "CheckFailedError",
    "JobFailedError",
    "Outcome",
    "PlainReporter",
    "Reporter",
    "StateJournal",
    "Status",
    "WaitOptions",
    "WaitStopped",
    "execute",
    "make_reporter",
    "wait_for_job",
]
