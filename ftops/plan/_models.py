"""Planning rules for model names: promote a job's model once it succeeded and its checks pass
(the name keeps its previous model until then), or a pinned model made elsewhere once its
checks pass; prune what no name holds; never delete a protected name's models, nor a model
ftops did not create unless the name's manifest entry says ``delete_external: true``."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ftops.errors import PlanError, ProtectedResourceError
from ftops.plan._context import Context, Draft, JobView, frozen, is_failure
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
from ftops.provider.types import JobPhase

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
    made = _made_by_project(ctx)
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
            holding = _plan_removed(ctx, draft, name, ctx.records.models[name], kept, removed_ids, made)
            if holding is not None:
                holdings.append(holding)
                kept |= holding.held()
    _plan_pruning(ctx, draft, holdings, kept, removed_ids, made)


def _made_by_project(ctx: Context) -> set[str]:
    """The models one of this project's jobs made, as the account lists the project's tagged jobs
    and as the state records its jobs: created by ftops whatever a model record says."""
    made = {job.fine_tuned_model for job in ctx.project_jobs if job.fine_tuned_model}
    made |= {rec.fine_tuned_model for rec in ctx.records.jobs.values() if rec.fine_tuned_model}
    return made


def _may_delete(ctx: Context, name: str, rec: ModelRecord, model_id: str, made: set[str]) -> bool:
    """Whether ftops may delete a model that the name ``name`` holds: one it created (its
    record says so, or one of the project's jobs made it), or any when the name's manifest
    entry says ``delete_external: true``. A model recorded before ownership was recorded
    counts as created only on the evidence of a job."""
    if model_id in made or rec.created_by_ftops(model_id):
        return True
    declared = ctx.project.models.get(name)
    return declared is not None and declared.delete_external


def _job_outputs(draft: Draft) -> set[str]:
    return {
        view.fine_tuned_model
        for view in draft.jobs.values()
        if view.phase is JobPhase.SUCCEEDED and view.fine_tuned_model is not None
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
    if model.model is not None:
        return _plan_pinned(ctx, draft, name, model.model)
    address = model.address
    rec = ctx.records.models.get(name)
    assert model.job is not None  # the manifest loader guarantees job or model
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

    succeeded = view.phase is JobPhase.SUCCEEDED and view.fine_tuned_model is not None
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
            new = replace(rec, protect=model.protect)
            after = frozen({"model_id": rec.model_id, "protect": model.protect})
            reason = f"protect: {str(rec.protect).lower()} → {str(model.protect).lower()}"
            draft.add(
                Change(
                    address, Action.UPDATE, reason, before, after, (UpdateRecord(address, record_json(new)),)
                )
            )
            return _Holding(name, old_current, old_previous, model.protect, model.keep_previous, None)
        return stay(f"points at {target}")
    if is_failure(view.phase):
        draft.warn(
            f"{address}: {job_address} {view.status}, so there is no new model to promote"
            + (f"; {address} keeps {old_current}" if old_current else "")
        )
        return stay(f"{job_address} {view.status}: {view.error or 'no error given'}")

    gate_text = _gate_text(ctx, draft, name, target, old_current)
    if target is not None:
        reason = f"promote {target} (from {job_address})" + (f" once {check_text}" if n else "")
    else:
        reason = f"promote once {job_address} succeeds" + (f" and {check_text}" if n else "")
    reason += gate_text + (keeps if target is None else "")
    step = PromoteModel(address, job_address, model.checks, model.protect)
    depends = (view.change_key,) if view.change_key is not None else ()
    after = frozen({"model_id": target or PENDING_MODEL, "protect": model.protect})
    action = Action.CREATE if rec is None else Action.UPDATE
    draft.add(Change(address, action, reason, before, after, (step,), depends))
    previous = old_previous
    if old_current is not None and old_current != target:
        previous = (old_current, *(m for m in old_previous if m != target))
    return _Holding(name, target, previous, model.protect, model.keep_previous, address)


def _plan_pinned(ctx: Context, draft: Draft, name: str, target: str) -> _Holding:
    """A name pinned to a model made elsewhere: it must exist (the models listing says so, no
    request of its own); the name moves to it once its checks pass, through the same promotion
    step as a job's model."""
    model = ctx.project.models[name]
    address = model.address
    rec = ctx.records.models.get(name)
    old_current = rec.model_id if rec is not None else None
    old_previous = rec.previous if rec is not None else ()
    before = frozen({"model_id": rec.model_id, "protect": rec.protect}) if rec is not None else None
    if target not in ctx.observed.models:
        where = f"{model.declared_at}: " if model.declared_at is not None else ""
        message = f"{where}{address}: model {target} is not in the account"
        if ctx.options.refresh_only:
            draft.drift.append(Drift(address, f"model {target} is not in the account"))
            return _Holding(name, old_current, old_previous, model.protect, model.keep_previous, None)
        raise PlanError(message, hint="Check the id with the provider's models listing (ftops init "
                        "--from-account lists the account's fine-tuned models), or pin another model.")
    if rec is not None and rec.model_id == target:
        if rec.protect != model.protect:
            new = replace(rec, protect=model.protect)
            after = frozen({"model_id": rec.model_id, "protect": model.protect})
            reason = f"protect: {str(rec.protect).lower()} → {str(model.protect).lower()}"
            draft.add(Change(address, Action.UPDATE, reason, before, after,
                             (UpdateRecord(address, record_json(new)),)))
        else:
            draft.add(Change(address, Action.NOOP, f"points at {target} (pinned)", before, before))
        return _Holding(name, old_current, old_previous, model.protect, model.keep_previous, None)
    n = len(model.checks)
    checks = (f" once its {n} check passes" if n == 1 else f" once its {n} checks pass") if n else ""
    keeps = f"; {address} keeps {old_current} until then" if old_current and n else ""
    gate = _gate_text(ctx, draft, name, target, old_current)
    reason = f"pin {target} (made elsewhere){checks}{gate}{keeps}"
    step = PromoteModel(address, None, model.checks, model.protect, model_id=target)
    after = frozen({"model_id": target, "protect": model.protect})
    action = Action.CREATE if rec is None else Action.UPDATE
    draft.add(Change(address, action, reason, before, after, (step,)))
    previous = old_previous
    if old_current is not None:
        previous = (old_current, *(m for m in old_previous if m != target))
    return _Holding(name, target, previous, model.protect, model.keep_previous, address)


def _gate_text(ctx: Context, draft: Draft, name: str, target: str | None, current: str | None) -> str:
    """What the promotion will be judged on; no recording to compare with is an error now,
    before anything trains."""
    from ftops.evals.recordings import is_recorded

    preview = ctx.desired.gates.get(name)
    if preview is None:
        return ""
    gate = preview.gate
    address = f"models.{name}"
    if gate.no_worse_than == "recording" and current is not None and not ctx.options.refresh_only \
            and not is_recorded(ctx.project.root, name, current):
        raise PlanError(f"{address}: its gate compares with the recording of {current}, and there is none",
                        hint=f"Run ftops record {name} while {current} still answers.")
    usd = preview.usd_for(target, baseline=current is not None)
    draft.gate_costs[address] = usd
    evals = ", ".join(f"evals.{e.name} ({e.cases} cases, detects a drop beyond {e.detectable:.3f})"
                      for e in preview.evals)
    if current is None:
        against = "min_score only: a name's first model has no baseline"
    else:
        against = f"no worse than {'the recording of ' if gate.no_worse_than == 'recording' else ''}" \
                  f"{current} by {gate.margin:g}"
    if gate.min_score is not None and current is not None:
        against += f", min_score {gate.min_score:g}"
    elif gate.min_score is not None:
        against += f" ({gate.min_score:g})"
    blind = [e.name for e in preview.evals if e.detectable > gate.margin and current is not None]
    if blind:
        draft.warn(f"{address}: evals.{blind[0]} has too few cases to show a drop of at most "
                   f"{gate.margin:g}: its gate can only say INCONCLUSIVE or FAIL")
    cost = f"at most ${usd:.4f}" if usd is not None else "cost unknown"
    what = "sampling and grading" if any(e.graded for e in preview.evals) else "sampling"
    return f"; gate: {evals}; {against}; {what} {cost}"


def _plan_removed(
    ctx: Context, draft: Draft, name: str, rec: ModelRecord, kept: set[str], removed_ids: set[str],
    made: set[str],
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
    external = [m for m in everything if m not in kept and not _may_delete(ctx, name, rec, m, made)]
    doomed = [m for m in everything if m not in kept and m not in external]
    steps: list[Step] = [DeleteModel(address, m) for m in doomed]
    removed_ids.update(doomed)
    steps.append(ForgetResource(address))
    reason = f"{why}: delete {', '.join(doomed)}" if doomed else f"{why}: forget"
    in_use = [m for m in everything if m in kept]
    if in_use:
        reason += f" (keeps {', '.join(in_use)}, still in use)"
    if external:
        reason += f" (leaves {', '.join(external)} in the account: not created by ftops)"
        declared = name in ctx.project.models
        how = f" (set `delete_external: true` on {address} to delete it)" if declared else ""
        draft.warn(f"{address}: {', '.join(external)} not created by ftops, so left in the account{how}")
    draft.add(Change(address, Action.DELETE, reason, frozen(rec.to_json()), None, tuple(steps)))
    return None


def _plan_pruning(
    ctx: Context, draft: Draft, holdings: list[_Holding], kept: set[str], removed_ids: set[str],
    made: set[str],
) -> None:
    """Delete fine-tuned models made by this project that nothing keeps after this plan."""
    made_by: dict[str, str] = {}  # model id -> the address of the job that made it
    for job in ctx.project_jobs:
        if job.fine_tuned_model:
            resource = job.identity.resource if job.identity is not None else None
            made_by.setdefault(job.fine_tuned_model, resource or "jobs.?")
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
        if holder is not None and not _may_delete(ctx, holder, ctx.records.models[holder], model_id, made):
            continue  # made elsewhere (pinned, imported): superseded, forgotten, never deleted
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
