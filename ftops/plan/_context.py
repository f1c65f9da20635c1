"""What every planning rule reads (the inputs, indexed once) and what it writes (a draft)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ftops.plan.desired import Desired
from ftops.plan.model import Change, CostLine, Drift, HostingLine
from ftops.plan.observed import Observed, ObservedFile, ObservedJob
from ftops.plan.options import PlanOptions
from ftops.plan.records import StateRecords
from ftops.provider.types import JobIdentity, JobPhase, identity_digest
from ftops.resources import freeze


def is_active(phase: JobPhase | None) -> bool:
    """Unfinished: may still spend money and can be cancelled (None: not created yet)."""
    return phase is not None and phase.is_active


def is_failure(phase: JobPhase | None) -> bool:
    return phase is not None and phase.is_failure


def frozen(value: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return None if value is None else freeze(dict(value))


@dataclass(frozen=True, slots=True)
class JobView:
    """What a model name can expect from its job once this plan is applied."""

    address: str
    change_key: str | None  # the job's actionable change, which a promotion must wait for
    status: str | None  # the service's word, for messages; None: a job this plan creates
    fine_tuned_model: str | None
    error: str | None = None
    phase: JobPhase | None = None  # what rules test; None: a job this plan creates


def _with_full_identities(
    jobs: Iterable[ObservedJob], desired: Desired, records: StateRecords
) -> list[ObservedJob]:
    """The jobs, each read back with only a digest of its identity (a service without job
    metadata: ``JobIdentity.digest``) given the full identity it carries when that is one the
    manifests or the state know: the declared jobs with their inputs now, the recorded ones
    with theirs. A job no known identity fits keeps its digest: the project's job of no known
    resource (an orphan to cancel while it runs) if the service's names said the project, else
    (project "") no job of this project anything knows of: never cancelled as an orphan."""
    listed = list(jobs)
    if not any(j.identity is not None and j.identity.digest is not None for j in listed):
        return listed
    project = desired.project.name
    known = [
        JobIdentity(project, job.address, desired.inputs_hash(job)) for job in desired.project.jobs.values()
    ]
    known += [JobIdentity(project, f"jobs.{name}", rec.inputs_hash) for name, rec in records.jobs.items()]
    by_digest = {
        identity_digest(i.project, i.resource, i.inputs_hash): i for i in known if i.resource is not None
    }
    resolved: list[ObservedJob] = []
    for job in listed:
        derived = job.identity
        full = by_digest.get(derived.digest) if derived is not None and derived.digest is not None else None
        if derived is not None and full is not None and derived.carries(full):
            job = replace(job, identity=full)
        resolved.append(job)
    return resolved


class Context:
    """The planner's inputs, with the indexes every rule needs built once."""

    def __init__(
        self, desired: Desired, records: StateRecords, observed: Observed, options: PlanOptions
    ) -> None:
        self.desired = desired
        self.project = desired.project
        self.records = records
        self.observed = observed
        self.options = options
        self.destroy = options.destroy
        by_name: dict[str, list[ObservedFile]] = {}
        for file in observed.files.values():
            if file.usable:
                by_name.setdefault(file.filename, []).append(file)
        # Oldest first: when a crash left two uploads of the same content, keep the first.
        self.files_by_name = {k: sorted(v, key=lambda f: (f.created_at, f.id)) for k, v in by_name.items()}
        self.project_jobs = sorted(
            (j for j in _with_full_identities(observed.jobs.values(), desired, records)
             if j.identity is not None and j.identity.project == self.project.name),
            key=lambda j: (j.created_at, j.id),
        )
        # Indexes, so each rule's lookup is one dict access: a scan of every job per resource
        # made a plan quadratic (about 40 million comparisons at 10,000 resources).
        self._tagged: dict[str, list[ObservedJob]] = {}
        for job in self.project_jobs:
            assert job.identity is not None  # project_jobs holds only jobs with an identity
            self._tagged.setdefault(job.identity.resource or "", []).append(job)
        self._unfinished_by_file: dict[str, list[ObservedJob]] = {}
        for job in observed.jobs.values():
            if job.is_active:
                for file_id in dict.fromkeys((job.training_file, job.validation_file)):
                    if file_id is not None:
                        self._unfinished_by_file.setdefault(file_id, []).append(job)

    def desired_datasets(self) -> list[str]:
        return [] if self.destroy else sorted(self.project.datasets)

    def desired_jobs(self) -> list[str]:
        return [] if self.destroy else sorted(self.project.jobs)

    def desired_models(self) -> list[str]:
        return [] if self.destroy else sorted(self.project.models)

    def tagged_jobs(self, address: str) -> list[ObservedJob]:
        return list(self._tagged.get(address, ()))

    def unfinished_jobs_using(self, file_id: str) -> list[ObservedJob]:
        return list(self._unfinished_by_file.get(file_id, ()))


@dataclass
class Draft:
    """What the rules have decided so far (internal to the planner; the Plan is the frozen result)."""

    changes: list[Change] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    costs: list[CostLine] = field(default_factory=list)
    # What judging each promotion's candidate will cost at most, by model address (None: unknown).
    gate_costs: dict[str, float | None] = field(default_factory=dict)
    in_progress: dict[str, str] = field(default_factory=dict)
    # The key of the change that cancels a job, by job id: files it reads wait for it.
    cancels: dict[str, str] = field(default_factory=dict)
    # Actionable change keys by address, e.g. a job's creation that its model's promotion awaits.
    actionable: dict[str, str] = field(default_factory=dict)
    jobs: dict[str, JobView] = field(default_factory=dict)  # desired job name -> view
    # Earlier uploads to delete once nothing unfinished reads them: (address, file id, why).
    retire_files: list[tuple[str, str, str]] = field(default_factory=list)
    # File ids some record or some change of this plan keeps (never orphans).
    kept_files: set[str] = field(default_factory=set)
    # What each deployment costs by the hour, once this plan is applied (``_deployments``).
    hosting: list[HostingLine] = field(default_factory=list)

    def add(self, change: Change) -> None:
        self.changes.append(change)
        if change.steps and change.deposed is None:
            self.actionable[change.address] = change.key

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)
