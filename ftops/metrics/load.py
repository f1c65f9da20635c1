"""Find a job from an address or id, and read its curves through the project's provider.

``jobs.NAME`` (or ``models.NAME``: the job that made the model it points at now)
is looked up in the state without a lock; a text the provider recognises as one of
its job ids (``ftjob-...`` on OpenAI) is used as it is. Only reads are made: one
job, its checkpoints, and its results (``FineTuningProvider.job_results``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ftops.errors import UsageError
from ftops.metrics.model import JobMetrics

if TYPE_CHECKING:
    from ftops.workflow import Settings


def resolve_job_id(settings: Settings, address: str) -> tuple[str, str | None]:
    """(job id, address) for ``jobs.NAME``, ``models.NAME`` or a job id."""
    from ftops import workflow
    from ftops.plan.records import read_records
    from ftops.provider import effective_provider, naming_of

    project = workflow.load_project(settings)
    naming = naming_of(effective_provider(project.provider, settings.provider).type)
    if naming.looks_like_job_id(address):
        return address, None
    kind, _, name = address.partition(".")
    if kind not in ("jobs", "models") or not name:
        raise UsageError(f"{address!r}: use jobs.NAME, models.NAME or a job id ({naming.job_id_example})")
    records = read_records(workflow.read_state(settings))
    if kind == "models":
        if name not in records.models:
            raise UsageError(f"{address} points at no model in the state yet",
                             hint=workflow.rehearsal_note(settings))
        job_id = records.models[name].job_id
        if not job_id:
            raise UsageError(f"{address} points at {records.models[name].model_id}, which ftops did not "
                             "train: it has no job to read curves from")
        return job_id, address
    if name not in records.jobs:
        known = ", ".join(f"jobs.{n}" for n in sorted(records.jobs)) or "none"
        raise UsageError(f"{address} is not in the state (jobs in the state: {known}); run `ftops apply`",
                         hint=workflow.rehearsal_note(settings))
    return records.jobs[name].job_id, address


def load_job_metrics(settings: Settings, address: str) -> JobMetrics:
    """The job's rows and checkpoints; a job without a result file yet is a clear error."""
    from ftops import workflow

    job_id, found_as = resolve_job_id(settings, address)
    project = workflow.load_project(settings)
    alias = workflow.alias_of_address(project, settings, found_as)  # several providers: the job's
    with workflow.open_alias_provider(project, settings, alias) as provider:
        return provider.job_results(job_id, found_as)
