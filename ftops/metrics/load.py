"""Find a job from an address or id, and read its curves through the project's provider.

``jobs.NAME`` (or ``models.NAME``: the job that made the model it points at now)
is looked up in the state without a lock; an ``ftjob-...`` id is used as it is.
Only reads are made: one job, its checkpoints, and the streamed result file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ftops.errors import UsageError
from ftops.metrics.fetch import list_checkpoints, read_result_file, retrieve_job
from ftops.metrics.model import JobMetrics

if TYPE_CHECKING:
    from ftops.workflow import Settings

JOB_ID_PREFIX = "ftjob-"


def resolve_job_id(settings: Settings, address: str) -> tuple[str, str | None]:
    """(job id, address) for ``jobs.NAME``, ``models.NAME`` or a job id."""
    from ftops import workflow
    from ftops.plan.records import read_records

    if address.startswith(JOB_ID_PREFIX):
        return address, None
    kind, _, name = address.partition(".")
    if kind not in ("jobs", "models") or not name:
        raise UsageError(f"{address!r}: use jobs.NAME, models.NAME or a job id (ftjob-...)")
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
    from ftops.provider import connect, effective_provider
    from ftops.provider.retry import RetryPolicy

    job_id, found_as = resolve_job_id(settings, address)
    project = workflow.load_project(settings)
    connection = connect(effective_provider(project.provider, settings.provider), project.root)
    policy = RetryPolicy()
    try:
        job = retrieve_job(connection.client, job_id, policy)
        result_files = list(job.result_files or [])
        if not result_files:
            raise UsageError(
                f"{job_id} is {job.status} and has no result file yet: the service writes it when the "
                "job succeeds",
                hint="Wait for it first: ftops wait",
            )
        steps = read_result_file(connection.client, result_files[0], policy)
        checkpoints = list_checkpoints(connection.client, job_id, policy)
    finally:
        connection.close()
    return JobMetrics(
        job_id=job_id, address=found_as, status=job.status, base_model=job.model,
        fine_tuned_model=job.fine_tuned_model, steps=steps, checkpoints=checkpoints,
    )
