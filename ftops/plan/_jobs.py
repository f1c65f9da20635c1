"""Planning rules for jobs: inputs are immutable, so a change of inputs is a new job; a job
already in the account with the right tags is adopted, never trained again; a failed job is
shown, not retried, unless replaced on purpose."""

from __future__ import annotations

from ftops.plan._context import Context, Draft, JobView, frozen
from ftops.plan.identity import job_spec
from ftops.plan.model import (
    Action,
    AdoptObject,
    CancelJob,
    Change,
    CostLine,
    CreateJob,
    Drift,
    ForgetResource,
    Step,
)
from ftops.plan.observed import ObservedJob
from ftops.plan.records import JobRecord, record_json
from ftops.provider.types import JobPhase


def error_text(job: ObservedJob) -> str | None:
    if job.error is None:
        return None
    return f"{job.error.code}: {job.error.message}" if job.error.code else job.error.message


def record_from_observed(job: ObservedJob, inputs: dict[str, object], previous: tuple[str, ...]) -> JobRecord:
    return JobRecord(
        job_id=job.id,
        inputs_hash=job.identity.inputs_hash if job.identity is not None else "",
        status=job.status,
        base_model=job.model,
        training_file_id=job.training_file,
        validation_file_id=job.validation_file,
        fine_tuned_model=job.fine_tuned_model,
        error=error_text(job),
        created_at=job.created_at,
        finished_at=job.finished_at,
        trained_tokens=job.trained_tokens,
        inputs=frozen(inputs) or {},
        previous_job_ids=previous,
    )


def _preference(job: ObservedJob) -> tuple[int, int, str]:
    # Adopt a job that succeeded or still runs before one that failed; then the newest.
    return (0 if job.phase.is_failure else 1, job.created_at, job.id)


def plan_jobs(ctx: Context, draft: Draft) -> None:
    for name in ctx.desired_jobs():
        _plan_desired(ctx, draft, name)
    handled = set(ctx.project.jobs) if not ctx.destroy else set()
    for name in sorted(ctx.records.jobs):
        if name not in handled:
            _plan_removed(ctx, draft, name, ctx.records.jobs[name])
    _cancel_orphans(ctx, draft)


def _plan_desired(ctx: Context, draft: Draft, name: str) -> None:
    job = ctx.project.jobs[name]
    address = job.address
    inputs_hash = ctx.desired.inputs_hash(job)
    inputs = ctx.desired.inputs(job)
    rec = ctx.records.jobs.get(name)
    forced = address in ctx.options.replaces
    tagged = ctx.tagged_jobs(address)
    same = [j for j in tagged if j.identity is not None and j.identity.inputs_hash == inputs_hash]
    depends = tuple(
        sorted(
            draft.actionable[f"datasets.{d}"]
            for d in {job.training_file, job.validation_file}
            if d is not None and f"datasets.{d}" in draft.actionable
        )
    )
    before = frozen(rec.inputs) if rec is not None and rec.inputs else None
    after = frozen(inputs)

    if rec is not None and rec.inputs_hash == inputs_hash and not forced:
        observed = ctx.observed.jobs.get(rec.job_id)
        status = observed.status if observed is not None else rec.status
        phase = observed.phase if observed is not None else ctx.observed.phase_of(rec.status)
        recorded_phase = ctx.observed.phase_of(rec.status)
        error = error_text(observed) if observed is not None else rec.error
        model = observed.fine_tuned_model if observed is not None else rec.fine_tuned_model
        if observed is None and not recorded_phase.is_terminal:
            draft.drift.append(Drift(address, f"job {rec.job_id} is no longer listed in the account"))
        if observed is not None and phase is JobPhase.CANCELLED and recorded_phase is not JobPhase.CANCELLED:
            draft.drift.append(Drift(address, f"job {rec.job_id} was cancelled outside ftops"))
        draft.jobs[name] = JobView(address, None, status, model, error, phase)
        if phase.is_failure:
            reason = f"{status}: {error or 'no error given'}; not retried (use --replace {address})"
            draft.warn(f"{address}: job {rec.job_id} {reason}")
        elif phase.is_active:
            reason = f"in progress ({status})"
            draft.in_progress[address] = status
        else:
            reason = f"{status} ({rec.job_id})"
        leftovers = _leftover_cancels(tagged, keep={rec.job_id})
        if leftovers:
            _add_leftover_change(draft, address, leftovers)
        draft.add(Change(address, Action.NOOP, reason, before, after))
        return

    # A job with these inputs whose model ftops has since deleted (a rollback to earlier inputs
    # after pruning) cannot serve: adopting it would leave its model names stuck.
    spent = [
        j for j in same if j.phase is JobPhase.SUCCEEDED and j.fine_tuned_model not in ctx.observed.models
    ]
    usable = [j for j in same if j not in spent]
    adopted = None if forced or not usable else max(usable, key=_preference)
    steps: list[Step] = []
    previous = (rec.job_id, *rec.previous_job_ids) if rec is not None else ()
    if adopted is not None:
        record = record_from_observed(adopted, inputs, previous)
        steps.append(AdoptObject(address, "job", adopted.id, record_json(record)))
        action = Action.ADOPT if rec is None else Action.REPLACE
        interrupted = "an earlier apply was interrupted; " if address in ctx.records.pending else ""
        reason = (
            f"{interrupted}job {adopted.id} ({adopted.status}) with these inputs "
            "is already in the account: adopt"
        )
        if rec is not None:
            reason = f"inputs changed; {reason}"
        view = JobView(
            address, address, adopted.status, adopted.fine_tuned_model, error_text(adopted), adopted.phase
        )
        if adopted.is_active:
            draft.in_progress[address] = adopted.status
        elif adopted.phase.is_failure:
            draft.warn(
                f"{address}: adopted job {adopted.id} {adopted.status}: {error_text(adopted)}; "
                f"not retried (use --replace {address})"
            )
    else:
        spec = job_spec(ctx.project.name, job, inputs_hash)
        supersedes = tuple(j.id for j in same)
        steps.append(CreateJob(address, inputs_hash, spec, supersedes, frozen(inputs) or {}))
        action = Action.CREATE if rec is None else Action.REPLACE
        if forced:
            reason = f"--replace: train {address} again"
        elif rec is None:
            reason = "new job"
        else:
            reason = "inputs changed: train a new job"
        if spent and not forced:
            reason += f" ({spent[-1].id} had these inputs, but its model no longer exists)"
        estimate = ctx.desired.estimates.get(name)
        tokens = (estimate.training_tokens or 0) if estimate is not None else 0
        draft.costs.append(
            CostLine(address, job.model, tokens, estimate.usd if estimate is not None else None,
                     estimate is not None and estimate.tokens_estimated)
        )
        view = JobView(address, address, None, None)
    if rec is not None and (adopted is None or adopted.id != rec.job_id):
        old = ctx.observed.jobs.get(rec.job_id)
        if old is not None and old.is_active:
            steps.append(CancelJob(address, rec.job_id))
            draft.cancels[rec.job_id] = address
            reason += f"; cancel {rec.job_id} ({old.status})"
    keep = {adopted.id} if adopted is not None else set()
    for leftover in _leftover_cancels(tagged, keep=keep | ({rec.job_id} if rec is not None else set())):
        steps.append(CancelJob(address, leftover.id))
        draft.cancels[leftover.id] = address
    draft.jobs[name] = view
    draft.add(Change(address, action, reason, before, after, tuple(steps), depends))


def _leftover_cancels(tagged: list[ObservedJob], keep: set[str]) -> list[ObservedJob]:
    """Unfinished jobs of this address that no record keeps: left by a crash or superseded."""
    return [j for j in tagged if j.id not in keep and j.is_active]


def _add_leftover_change(draft: Draft, address: str, leftovers: list[ObservedJob]) -> None:
    for job in leftovers:
        draft.cancels[job.id] = f"{address}[{job.id}]"
        draft.add(
            Change(
                address,
                Action.DELETE,
                f"cancel job {job.id} ({job.status}): not the job the state keeps for {address}",
                frozen({"job_id": job.id, "status": job.status}),
                None,
                (CancelJob(address, job.id),),
                deposed=job.id,
            )
        )


def _plan_removed(ctx: Context, draft: Draft, name: str, rec: JobRecord) -> None:
    address = f"jobs.{name}"
    why = "destroy" if ctx.destroy else "removed from the manifests"
    observed = ctx.observed.jobs.get(rec.job_id)
    steps: list[Step] = []
    status = observed.status if observed is not None else rec.status
    if observed is not None and observed.is_active:
        steps.append(CancelJob(address, rec.job_id))
        draft.cancels[rec.job_id] = address
        reason = f"{why}: cancel {rec.job_id} ({status}), then forget it"
    else:
        reason = f"{why}: forget {rec.job_id} ({status}; jobs cannot be deleted)"
    for leftover in _leftover_cancels(ctx.tagged_jobs(address), keep={rec.job_id}):
        steps.append(CancelJob(address, leftover.id))
        draft.cancels[leftover.id] = address
    steps.append(ForgetResource(address))
    before = frozen({"job_id": rec.job_id, "status": status})
    draft.add(Change(address, Action.DELETE, reason, before, None, tuple(steps)))


def _cancel_orphans(ctx: Context, draft: Draft) -> None:
    """Unfinished tagged jobs of this project for a name neither declared nor recorded."""
    known = {f"jobs.{n}" for n in ctx.records.jobs}
    if not ctx.destroy:
        known |= {f"jobs.{n}" for n in ctx.project.jobs}
    for job in ctx.project_jobs:
        address = (job.identity.resource if job.identity is not None else None) or ""
        if address in known or not job.is_active or job.id in draft.cancels:
            continue
        if not address.startswith("jobs."):
            address = f"jobs.{job.id}"
        _add_leftover_change(draft, address, [job])
