"""Base-model lifecycle in plans (issue 10): which model each name serves and when it shuts
down, a refusal for a job whose base model is already shut down, warnings inside the window."""

from __future__ import annotations

from datetime import date

from ftops.errors import PlanError
from ftops.lifecycle.model_ids import base_of
from ftops.plan._context import Context, Draft
from ftops.plan.model import ModelLifecycle
from ftops.provider.registry import base_model_of_any


def model_lifecycle(ctx: Context) -> tuple[ModelLifecycle, ...]:
    """Each declared model name, the base of the model it serves now (during a move to a
    successor base, the old one's) and when that model shuts down. A pinned name not yet
    applied already shows the model it will serve."""
    out = []
    today = ctx.options.today
    for name in ctx.desired_models():
        spec = ctx.project.models[name]
        job = ctx.project.jobs.get(spec.job) if spec.job is not None else None
        if job is None and spec.model is None:
            continue
        rec = ctx.records.models.get(name)
        model_id = rec.model_id if rec is not None else spec.model
        base = job.model if job is not None else base_of(spec.model or "")
        if rec is not None:
            maker = ctx.observed.jobs.get(rec.job_id)
            recorded = [j for j in ctx.records.jobs.values() if j.job_id == rec.job_id]
            base = (maker.model if maker is not None else recorded[0].base_model if recorded
                    else base if job is not None and rec.job_id else base_of(rec.model_id))
        own = ctx.observed.models.get(model_id) if model_id is not None else None
        text = own.shutdown_date if own is not None else None
        if not text and base in ctx.observed.models:
            text = ctx.observed.models[base].shutdown_date  # a fine-tuned model dies with its base
        when = _parse_date(text) if text else None
        days = (when - today).days if when is not None and today is not None else None
        out.append(ModelLifecycle(spec.address, model_id, base, when.isoformat() if when else None, days,
                                  _recording(ctx, name, model_id)))
    return tuple(out)


def _recording(ctx: Context, name: str, model_id: str | None) -> str | None:
    """Where the model's answers are recorded (``ftops record``), when they are: one stat per name."""
    from ftops.evals.recordings import is_recorded, recording_path

    if model_id is None or not is_recorded(ctx.project.root, name, model_id):
        return None
    return recording_path(ctx.project.root, name, model_id).relative_to(ctx.project.root).as_posix()


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def check_shutdowns(
    ctx: Context, draft: Draft, creates: set[str], lifecycle: tuple[ModelLifecycle, ...]
) -> None:
    """Issue 10: a job on a base model already shut down is refused now, not at apply time; a
    shutdown less than ``shutdown_warning_days`` away is a warning, for jobs and active models."""
    today = ctx.options.today
    if today is None:
        return
    window = ctx.options.shutdown_warning_days
    for name in ctx.desired_jobs():
        job = ctx.project.jobs[name]
        listed = ctx.observed.models.get(job.model)
        base = base_model_of_any(job.model)
        if (listed is None or not listed.shutdown_date) and base is not None:
            # Continuing from a fine-tuned model trains on its base: the base's date decides.
            listed = ctx.observed.models.get(base)
        when = _parse_date(listed.shutdown_date) if listed and listed.shutdown_date else None
        if when is None:
            continue
        days = (when - today).days
        named = job.model if listed is None or listed.id == job.model else f"{job.model} (base {listed.id})"
        if job.address in creates and days <= 0:
            raise PlanError(
                f"{job.address}: base model {named} was shut down on {when.isoformat()}; "
                "no new job can train on it",
                hint=f"Change {job.address}.model to a successor base model.",
            )
        if job.address in creates and days < window:  # running models are warned about below
            draft.warn(
                f"{job.address}: base model {named} shuts down on {when.isoformat()} ({days} days)"
            )
    _check_job_cutoff(ctx, draft, creates)
    for entry in lifecycle:
        if entry.model_id is not None and entry.days_left is not None and entry.days_left < window:
            state = "shut down on" if entry.days_left <= 0 else "shuts down on"
            draft.warn(
                f"{entry.address}: {entry.model_id} (on {entry.base_model}) {state} "
                f"{entry.shutdown_date} ({entry.days_left} days)"
            )


def _check_job_cutoff(ctx: Context, draft: Draft, creates: set[str]) -> None:
    """The provider's end of new fine-tuning jobs: a job this plan would create on or after it is
    refused now; inside the warning window, one warning while the project declares any job."""
    cutoff, today = ctx.options.job_cutoff, ctx.options.today
    if cutoff is None or today is None:
        return
    days = (cutoff - today).days
    source = ctx.options.job_cutoff_source
    for name in ctx.desired_jobs():
        address = ctx.project.jobs[name].address
        if address in creates and days <= 0:
            raise PlanError(
                f"{address}: the provider accepts no new fine-tuning jobs since {cutoff.isoformat()} "
                f"({source}), and this plan would create one",
                hint="Undo the change that needs a new job (trained models keep serving until their base "
                "shuts down), or train on a provider that still accepts jobs; FTOPS_JOB_CUTOFF overrides "
                "the date if it is wrong for this account.",
            )
    if days > 0 and days < ctx.options.shutdown_warning_days and ctx.desired_jobs():
        draft.warn(
            f"the provider stops accepting new fine-tuning jobs on {cutoff.isoformat()} ({days} days); "
            "a job not created by then cannot be created after"
        )
