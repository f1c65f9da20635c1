"""What a refresh saw in the account: typed, frozen snapshots of listed objects.

Produced by ``ftops.provider`` from listings (files, tagged jobs, models) and
consumed by the pure planner. Only fields the planner or the renderers need; nothing
here is a service's vocabulary: a job's ``phase`` and ``identity`` are filled by the
adapter, and ``status`` keeps the service's own word for display.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ftops.provider.deployments import ObservedDeployment
from ftops.provider.types import JobIdentity, JobPhase, phase_of
from ftops.resources import empty_mapping


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
    status: str  # the service's own word, for display
    created_at: int
    # Whether it can be trained on or adopted (the adapter's reading of ``status``; a file that
    # failed the service's processing, or is being deleted, cannot).
    usable: bool = True


@dataclass(frozen=True, slots=True)
class ObservedJob:
    id: str
    status: str  # the service's own word, for display; rules test ``phase``
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
    # The adapter's reading of ``status`` in its service's vocabulary. Left out (a value built
    # by hand), ``status`` is read as a phase's own word, anything else as RUNNING (safe side).
    reported_phase: JobPhase | None = None
    identity: JobIdentity | None = None  # None: not created by ftops (or no identity readable)

    @property
    def phase(self) -> JobPhase:
        return self.reported_phase if self.reported_phase is not None else phase_of(self.status)

    @property
    def is_terminal(self) -> bool:
        return self.phase.is_terminal

    @property
    def is_active(self) -> bool:
        return self.phase.is_active


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
    # The service's status words and their phases, to read the statuses kept in the state.
    job_phases: Mapping[str, JobPhase] = field(default_factory=empty_mapping)
    # The account's deployments by name, in one listing; None: the service has none (OpenAI) or
    # the project declares and records none, so they were not listed.
    deployments: Mapping[str, ObservedDeployment] | None = None

    def phase_of(self, status: str) -> JobPhase:
        return phase_of(status, self.job_phases)
