"""Planning rules for model names: promote a job's model once it succeeded and its checks pass
(the name keeps its previous model until then), prune what no name holds, and never delete
a protected name's models."""

from __future__ import annotations

from dataclasses import dataclass

from ftops.errors import ProtectedResourceError
from ftops.plan._context import FAILED_JOB_STATUSES, Context, Draft, JobView, frozen
from ftops.plan.model import (
    Action,
    Change,
    DeleteModel,
    Drift,
    ForgetResource,
    PromoteModel,
    Step,
    UpdateRecord,
)
from ftops.plan.records import ModelRecord, record_json
from ftops.resources import META_RESOURCE

PENDING_MODEL = "(known after the job succeeds)"


@dataclass(frozen=True, slots=True)
class _Holding:
    """The models a name will hold once this plan is applied; ``pending``: a promotion whose
    model is not known yet (the job is new or running)."""

    name: str
    current: str | None
    previous: tuple[str, ...]
    protect: bool
    keep_previous: int
    promotion_key: str | None  # the change that repoints the name, which prunes wait for

    def held(self) -> set[str]:
        kept = self.previous if self.protect else self.previous[: self.keep_previous]
        return {m for m in (self.current, *kept) if m is not None}


def plan_models(ctx: Context, draft: Draft) -> None:
    holdings: list[_Holding] = []
    for name in ctx.desired_models():
        holdings.append(_plan_desired(ctx, draft, name))
    # What stays: what the names hold, the current model of every declared job (the job itself
    # keeps its output, so declaring a job without a name never loses a paid-for model), and
    # every model a protected name has held.
    kept = set().union(*(h.held() for h in holdings)) | _job_outputs(draft) | _protected(ctx)
    removed_ids: set[str] = set()
    for name in sorted(ctx.records.models):
        if ctx.destroy or name not in ctx.project.models:
            holding = _plan_removed(ctx, draft, name, ctx.records.models[name], kept, removed_ids)
            if holding is not None:
                holdings.append(holding)
                kept |= holding.held()
    _plan_pruning(ctx, draft, holdings, kept, removed_ids)


def _job_outputs(draft: Draft) -> set[str]:
    return {
        view.fine_tuned_model
        for view in draft.jobs.values()
        if view.status == "succeeded" and view.fine_tuned_model is not None
    }


def _is_protected(ctx: Context, name: str, rec: ModelRecord) -> bool:
    """Protected by the state, or by the manifests even before that was applied: a
    ``protect: true`` that was written but not yet applied must already hold (e.g. for destroy)."""
    declared = ctx.project.models.get(name)
    return rec.protect or (declared is not None and declared.protect)


def _protected(ctx: Context) -> set[str]:
    return {
        m
        for name, record in ctx.records.models.items()
        if _is_protected(ctx, name, record)
        for m in (record.model_id, *record.previous)
    }


def _plan_desired(ctx: Context, draft: Draft, name: str) -> _Holding:
    model = ctx.project.models[name]
    address = model.address
    rec = ctx.records.models.get(name)
    view = draft.jobs.get(model.job) or JobView(f"jobs.{model.job}", None, None, None)
    job_address = view.address
    old_current = rec.model_id if rec is not None else None
    old_previous = rec.previous if rec is not None else ()
    before = frozen({"model_id": rec.model_id, "protect": rec.protect}) if rec is not None else None
    if rec is not None and rec.model_id not in ctx.observed.models:
        draft.drift.append(Drift(address, f"model {rec.model_id} was deleted outside ftops"))

    def stay(reason: str) -> _Holding:
        draft.add(Change(address, Action.NOOP, reason, before, before))
        return _Holding(name, old_current, old_previous, model.protect, model.keep_previous, None)

    succeeded = view.status == "succeeded" and view.fine_tuned_model is not None
    target = view.fine_tuned_model if succeeded else None
    keeps = f"; {address} keeps {old_current} until then" if old_current else ""
    n = len(model.checks)
    check_text = f"its {n} check passes" if n == 1 else f"its {n} checks pass"

    if target is not None and target not in ctx.observed.models:
        draft.warn(
            f"{address}: {target}, the model of {job_address}, no longer exists; "
            f"use --replace {job_address} to train again"
        )
        return stay(f"{target} no longer exists")
    if rec is not None and target is not None and rec.model_id == target:
        if rec.protect != model.protect:
            new = ModelRecord(rec.model_id, rec.job_id, model.protect, rec.previous)
            after = frozen({"model_id": rec.model_id, "protect": model.protect})
            reason = f"protect: {str(rec.protect).lower()} → {str(model.protect).lower()}"
            draft.add(
                Change(
                    address, Action.UPDATE, reason, before, after, (UpdateRecord(address, record_json(new)),)
                )
            )
            return _Holding(name, old_current, old_previous, model.protect, model.keep_previous, None)
        return stay(f"points at {target}")
    if view.status in FAILED_JOB_STATUSES:
        draft.warn(
            f"{address}: {job_address} {view.status}, so there is no new model to promote"
            + (f"; {address} keeps {old_current}" if old_current else "")
        )
        return stay(f"{job_address} {view.status}: {view.error or 'no error given'}")

    if target is not None:
        reason = f"promote {target} (from {job_address})" + (f" once {check_text}" if n else "")
    else:
        reason = f"promote once {job_address} succeeds" + (f" and {check_text}" if n else "") + keeps
    step = PromoteModel(address, job_address, model.checks, model.protect)
    depends = (view.change_key,) if view.change_key is not None else ()
    after = frozen({"model_id": target or PENDING_MODEL, "protect": model.protect})
    action = Action.CREATE if rec is None else Action.UPDATE
    draft.add(Change(address, action, reason, before, after, (step,), depends))
    previous = old_previous
    if old_current is not None and old_current != target:
        previous = (old_current, *(m for m in old_previous if m != target))
    return _Holding(name, target, previous, model.protect, model.keep_previous, address)


def _plan_removed(
    ctx: Context, draft: Draft, name: str, rec: ModelRecord, kept: set[str], removed_ids: set[str]
) -> _Holding | None:
    address = f"models.{name}"
    everything = [m for m in (rec.model_id, *rec.previous) if m in ctx.observed.models]
    if _is_protected(ctx, name, rec):
        release = f"set `protect: false` on {address} and apply first, then remove it"
        if not ctx.destroy and not ctx.options.refresh_only:
            raise ProtectedResourceError(
                f"{address} is protected and was removed from the manifests: deleting its models "
                f"({', '.join(everything) or rec.model_id}) is refused",
                hint=f"Put it back; to delete it, {release}.",
            )
        draft.warn(
            f"{address} is protected: kept {', '.join(everything) or rec.model_id} (to delete it, {release})"
        )
        return _Holding(name, rec.model_id, rec.previous, True, 0, None)
    why = "destroy" if ctx.destroy else "removed from the manifests"
    doomed = [m for m in everything if m not in kept]
    steps: list[Step] = [DeleteModel(address, m) for m in doomed]
    removed_ids.update(doomed)
    steps.append(ForgetResource(address))
    reason = f"{why}: delete {', '.join(doomed)}" if doomed else f"{why}: forget"
    if len(doomed) < len(everything):
        reason += f" (keeps {', '.join(m for m in everything if m in kept)}, still in use)"
    draft.add(Change(address, Action.DELETE, reason, frozen(rec.to_json()), None, tuple(steps)))
    return None


def _plan_pruning(
    ctx: Context, draft: Draft, holdings: list[_Holding], kept: set[str], removed_ids: set[str]
) -> None:
    """Delete fine-tuned models made by this project that nothing keeps after this plan."""
    made_by: dict[str, str] = {}  # model id -> the address of the job that made it
    for job in ctx.project_jobs:
        if job.fine_tuned_model:
            made_by.setdefault(job.fine_tuned_model, job.metadata.get(META_RESOURCE, "jobs.?"))
    for name, rec in ctx.records.jobs.items():
        if rec.fine_tuned_model:
            made_by.setdefault(rec.fine_tuned_model, f"jobs.{name}")
    holder_before: dict[str, str] = {}  # model id -> the name that holds it now
    for name, model_rec in ctx.records.models.items():
        for model_id in (model_rec.model_id, *model_rec.previous):
            holder_before.setdefault(model_id, name)
            made_by.setdefault(model_id, f"models.{name}")
    promotions = {h.name: h.promotion_key for h in holdings}
    for model_id in sorted(made_by):
        if model_id in kept or model_id in removed_ids or model_id not in ctx.observed.models:
            continue  # (a protected name's models are in ``kept``: releasing them is explicit)
        holder = holder_before.get(model_id)
        if holder is not None:
            address = f"models.{holder}"
            current = ctx.records.models[holder].model_id == model_id
            # The name's current model goes only once the promotion that replaces it is done.
            key = promotions.get(holder) if current else None
            depends: tuple[str, ...] = (key,) if key is not None else ()
            reason = f"prune: superseded in {address}" + (" (after the promotion)" if key else "")
        else:
            address, depends = made_by[model_id], ()
            job_name = address.split(".", 1)[1]
            declared = address.startswith("jobs.") and job_name in ctx.project.jobs and not ctx.destroy
            origin = (
                f"an earlier model of {address}" if declared else f"made by {address} (no longer declared)"
            )
            reason = f"prune: {origin}, held by no model name"
            if declared and address in draft.actionable:
                depends = (draft.actionable[address],)  # after its replacement job is created
        draft.add(
            Change(
                address,
                Action.DELETE,
                reason,
                frozen({"model_id": model_id}),
                None,
                (DeleteModel(address, model_id),),
                depends,
                deposed=model_id,
            )
        )
