"""A simulated apply: carries out a plan's steps against a ``World`` the way the executor
does against the service, writing the records through ``ftops.plan.bookkeeping``. With it,
planner tests can check the promise that matters: apply, plan again, and nothing is left."""

from __future__ import annotations

from plan_builders import World

from ftops.plan import bookkeeping
from ftops.plan.model import (
    AdoptObject,
    CancelJob,
    CreateJob,
    DeleteFile,
    DeleteModel,
    ForgetResource,
    Plan,
    PromoteModel,
    UpdateRecord,
    UploadFile,
)
from ftops.plan.observed import ObservedFile, ObservedJob, ObservedModel
from ftops.plan.order import execution_order
from ftops.plan.records import read_records
from ftops.provider.openai.encode import job_request
from ftops.resources import freeze


class Crash(Exception):
    """The process died right after a mutating request reached the service."""


def simulate_apply(
    world: World, plan: Plan, *, jobs_end_as: str = "succeeded", crash_after: int | None = None
) -> list[str]:
    """Apply ``plan`` to ``world`` (jobs finish at once as ``jobs_end_as``, as with --wait);
    return the mutating requests made, e.g. ["upload datasets.train", "create jobs.tune"].

    With ``crash_after=k`` the run dies right after its k-th mutating request took effect and
    before its result was written to the state (the worst moment): ``world.resources`` keeps
    what was written until then, and ``Crash`` is raised."""
    requests: list[str] = []
    res = bookkeeping.refresh_records(world.resources, world.observed())

    def sent(request: str) -> None:
        requests.append(request)
        if crash_after is not None and len(requests) >= crash_after:
            world.resources = res
            raise Crash(request)

    for change in execution_order(plan.changes):
        for step in change.steps:
            if isinstance(step, UploadFile):
                res = bookkeeping.note_pending(
                    res, step.address, "file", step.filename, "2026-11-24T20:00:00Z"
                )
                file_id = world._next("file")
                world.files[file_id] = ObservedFile(
                    file_id, step.filename, step.size_bytes, "fine-tune", "processed", world.clock
                )
                sent(f"upload {step.address}")
                res = bookkeeping.after_upload(res, step, file_id)
            elif isinstance(step, CreateJob):
                res = bookkeeping.note_pending(
                    res, step.address, "job", step.inputs_hash, "2026-11-24T20:00:00Z"
                )
                records = read_records(res)
                spec = step.spec
                training = records.datasets[spec.training_dataset].file_id
                validation_name = spec.validation_dataset
                validation = records.datasets[validation_name].file_id if validation_name else None
                # The request the OpenAI adapter sends; the service keeps its metadata.
                request = job_request(spec, training, validation)
                job_id = world._next("ftjob")
                ft = f"ft:{spec.model}:acme::{job_id}" if jobs_end_as == "succeeded" else None
                world.jobs[job_id] = ObservedJob(
                    id=job_id,
                    status=jobs_end_as,
                    model=spec.model,
                    training_file=training,
                    validation_file=validation,
                    fine_tuned_model=ft,
                    metadata=freeze(dict(request["metadata"])),
                    created_at=world.clock,
                    identity=spec.identity,
                )
                if ft is not None:
                    world.models[ft] = ObservedModel(ft, "acme-org", world.clock)
                sent(f"create {step.address}")
                # The create's answer: the job as the service first reports it.
                answer = ObservedJob(**{**_fields(world.jobs[job_id]), "status": "validating_files",
                                        "fine_tuned_model": None})
                res = bookkeeping.after_create_job(res, step, answer)
            elif isinstance(step, PromoteModel):
                name = step.job_address.split(".", 1)[1]
                # As the executor: retrieve the job, record what the service says, then decide.
                res = bookkeeping.after_job_seen(res, world.jobs[read_records(res).jobs[name].job_id])
                job = read_records(res).jobs[name]
                if job.status != "succeeded" or job.fine_tuned_model is None:
                    continue  # pending: the executor skips it without --wait
                res = bookkeeping.after_promote(res, step, model_id=job.fine_tuned_model, job_id=job.job_id)
            elif isinstance(step, CancelJob):
                old = world.jobs[step.job_id]
                world.jobs[step.job_id] = ObservedJob(**{**_fields(old), "status": "cancelled"})
                sent(f"cancel {step.job_id}")
                res = bookkeeping.after_job_seen(res, world.jobs[step.job_id])
            elif isinstance(step, DeleteFile):
                del world.files[step.file_id]
                sent(f"delete {step.file_id}")
                res = bookkeeping.after_step(res, step)
            elif isinstance(step, DeleteModel):
                del world.models[step.model_id]
                sent(f"delete {step.model_id}")
                res = bookkeeping.after_step(res, step)
            elif isinstance(step, AdoptObject | ForgetResource | UpdateRecord):
                res = bookkeeping.after_step(res, step)
    res = bookkeeping.refresh_records(res, world.observed())
    world.resources = bookkeeping.clear_pending(res)
    return requests


def _fields(job: ObservedJob) -> dict[str, object]:
    return {name: getattr(job, name) for name in job.__slots__}
