"""What a refresh saw in the account: typed, frozen snapshots of listed objects.

Produced by ``ftops.provider`` from listings (files, tagged jobs, models) and
consumed by the pure planner. Only fields the planner or the renderers need.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from ftops.resources import empty_mapping

TERMINAL_JOB_STATUSES: Final = frozenset({"succeeded", "failed", "cancelled"})
# Statuses in which a job may still spend money and can be cancelled.
ACTIVE_JOB_STATUSES: Final = frozenset({"validating_files", "queued", "running", "pausing", "paused"})


@dataclass(frozen=True, slots=True)
class JobError:
    code: str | None
    message: str
    param: str | None = None


@dataclass(frozen=True, slots=True)
class ObservedFile:
    id: str
    filename: str
    bytes: int
    purpose: str
    status: str
    created_at: int


@dataclass(frozen=True, slots=True)
class ObservedJob:
    id: str
    status: str  # an open string: the service also returns pausing/paused
    model: str
    training_file: str
    validation_file: str | None
    fine_tuned_model: str | None
    metadata: Mapping[str, str]
    created_at: int
    finished_at: int | None = None
    trained_tokens: int | None = None
    estimated_finish: int | None = None
    error: JobError | None = None
    hyperparameters: Mapping[str, object] = field(default_factory=empty_mapping)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_JOB_STATUSES


@dataclass(frozen=True, slots=True)
class ObservedModel:
    id: str
    owned_by: str
    created: int
    shutdown_date: str | None = None  # ISO date, when the service announces one


@dataclass(frozen=True, slots=True)
class Observed:
    """The account as one refresh saw it. Keys are object ids."""

    files: Mapping[str, ObservedFile] = field(default_factory=empty_mapping)
    jobs: Mapping[str, ObservedJob] = field(default_factory=empty_mapping)  # this project's tagged jobs
    models: Mapping[str, ObservedModel] = field(default_factory=empty_mapping)
    request_count: int = 0  # how many API requests the refresh made, for plans and benchmarks
    # None: every job of the project was listed. A time: only jobs created since then were
    # (and perhaps a few older ones); the older ones had all finished (ftops.plan.listing).
    jobs_since: int | None = None
