"""Planning rules for deployments (``models.<name>.deployment``, Azure): what each name's model is
served through, what that costs by the hour, and what the account's listing says happened to it.

Blue/green, not in place: a promotion deploys the new model under its own name
(``<prefix>-<8 hex of the model id>``), runs the checks and the gate through it, moves the name,
and only then deletes the previous deployment, so an application reading ``ftops output`` never
gets an unchecked model, and the old one answers until the new one passed. The name being a pure
function of the model, a PUT repeated after a crash updates the same deployment: never a second.

Rules, on one listing of the account's deployments (``Observed.deployments``):

- a promotion's step learns its deployment target (the promotion itself deploys);
- a name that keeps its model gets its deployment created, recreated when the listing has lost it
  (drift: Azure deletes a fine-tuned deployment after 15 days without traffic), put again when its
  provisioning failed, and rescaled in place when its sku or capacity changed;
- a deployment tagged with this project that no name keeps (superseded, left by an interrupted
  run, a name removed, or destroy) is deleted, before any deletion of the model it serves
  (Azure refuses to delete a model that still has deployments); a protected name's stays.
"""

from __future__ import annotations

from dataclasses import replace

from ftops.datasets.hosting import hosting_price
from ftops.errors import BudgetExceededError
from ftops.plan._context import Context, Draft
from ftops.plan.model import (
    Action,
    Change,
    DeleteDeployment,
    DeleteModel,
    Deploy,
    DeploymentTarget,
    Drift,
    HostingLine,
    PromoteModel,
)
from ftops.provider.deployments import DeploymentPhase, ObservedDeployment, deployment_name
from ftops.resources import ActiveModel

IDLE_DAYS = 15  # Azure deletes a fine-tuned deployment after this many days without traffic


def plan_deployments(ctx: Context, draft: Draft) -> None:
    observed = ctx.observed.deployments
    declared = {
        name: ctx.project.models[name]
        for name in ctx.desired_models()
        if ctx.project.models[name].deployment is not None
    }
    if observed is None:
        if declared:
            names = ", ".join(f"models.{n}" for n in sorted(declared))
            draft.warn(
                f"{names}: this provider serves models without deployments, so `deployment:` is "
                "ignored (deployments are managed on provider type azure)"
            )
        return
    ours = {d.name: d for d in observed.values() if d.project == ctx.project.name}
    wanted: set[str] = set()
    for name, model in sorted(declared.items()):
        wanted |= _plan_name(ctx, draft, name, model)
    for name, rec in ctx.records.models.items():  # a protected name's deployment is never deleted
        if rec.deployment is not None and _protected(ctx, name):
            wanted.add(rec.deployment.name)
            if name not in declared:
                draft.hosting.append(
                    _line(
                        ctx,
                        f"models.{name}",
                        rec.deployment.name,
                        rec.deployment.model_id,
                        rec.deployment.sku,
                        rec.deployment.capacity,
                        "keep",
                    )
                )
    recorded = {
        rec.deployment.name: (f"models.{name}", rec.deployment.model_id)
        for name, rec in ctx.records.models.items()
        if rec.deployment is not None
    }
    for dep_name in sorted(set(ours) | set(recorded)):
        if dep_name in wanted:
            continue
        found = ours.get(dep_name) or observed.get(dep_name)
        if found is None:
            continue  # recorded, already gone: the record goes with its name's change
        address = found.resource or recorded.get(dep_name, ("models.?", ""))[0]
        reason = "destroy" if ctx.destroy else "held by no model name"
        draft.add(
            Change(
                address,
                Action.DELETE,
                f"delete deployment {dep_name} ({reason}; serves {found.model_id})",
                {"deployment": dep_name},
                None,
                (DeleteDeployment(address, dep_name, found.model_id),),
                deposed=f"deployment {dep_name}",
            )
        )
        draft.hosting.append(
            _line(ctx, address, dep_name, found.model_id, found.sku, found.capacity, "delete")
        )
    _models_after_their_deployments(draft)
    _check_hosting_budget(ctx, draft)


def _protected(ctx: Context, name: str) -> bool:
    rec = ctx.records.models.get(name)
    declared = ctx.project.models.get(name)
    return (rec is not None and rec.protect) or (declared is not None and declared.protect)


def _plan_name(ctx: Context, draft: Draft, name: str, model: ActiveModel) -> set[str]:
    """The rules for one declared name; returns the deployment names it keeps."""
    assert model.deployment is not None
    spec = model.deployment
    target = DeploymentTarget(spec.prefix, spec.sku, spec.capacity)
    address = model.address
    rec = ctx.records.models.get(name)
    listing = ctx.observed.deployments or {}
    kept: set[str] = set()
    if rec is not None and rec.deployment is not None:
        kept.add(rec.deployment.name)  # until the name's promotion (or its change below) retires it
    promotion = _promotion(draft, address)
    if promotion is not None:
        change, promote = promotion
        new_step = replace(promote, deployment=target)
        index = draft.changes.index(change)
        draft.changes[index] = replace(
            change,
            steps=tuple(new_step if s is promote else s for s in change.steps),
            reason=change.reason + f"; deployed first as {spec.prefix}-…, checked "
            "through it, and the previous deployment deleted after",
        )
        candidate = _candidate_model(draft, model)
        dep_name = deployment_name(spec.prefix, candidate) if candidate else f"{spec.prefix}-…"
        if candidate:
            kept.add(dep_name)
        draft.hosting.append(
            _line(
                ctx, address, dep_name, candidate or _base_of(ctx, model), spec.sku, spec.capacity, "create"
            )
        )
        if rec is not None and rec.deployment is not None:
            draft.hosting.append(
                _line(
                    ctx,
                    address,
                    rec.deployment.name,
                    rec.deployment.model_id,
                    rec.deployment.sku,
                    rec.deployment.capacity,
                    "delete",
                )
            )
            _drift(ctx, draft, address, rec.deployment.name, listing.get(rec.deployment.name))
        return kept
    if rec is None or rec.model_id not in ctx.observed.models:
        return kept  # no model to serve yet (or it was deleted: the model rules say so)
    want = deployment_name(spec.prefix, rec.model_id)
    kept.add(want)
    found = listing.get(want)
    step = Deploy(address, want, rec.model_id, spec.sku, spec.capacity)
    line = _line(ctx, address, want, rec.model_id, spec.sku, spec.capacity, "keep")
    recorded = rec.deployment
    if found is None:
        if recorded is not None and recorded.name == want:
            _drift(ctx, draft, address, want, None)
            reason = f"recreate deployment {want} of {rec.model_id} (gone from the account)"
        else:
            reason = f"deploy {rec.model_id} as {want} ({spec.sku}, capacity {spec.capacity})"
        draft.add(
            Change(
                address,
                Action.CREATE,
                reason,
                None,
                {"deployment": want},
                (step,),
                deposed=f"deployment {want}",
            )
        )
        line = replace(line, change="create")
    elif found.phase is DeploymentPhase.FAILED:
        _drift(ctx, draft, address, want, found)
        draft.add(
            Change(
                address,
                Action.UPDATE,
                f"deploy {rec.model_id} as {want} again (provisioning {found.state})",
                {"deployment": want, "state": found.state},
                {"deployment": want},
                (step,),
                deposed=f"deployment {want}",
            )
        )
    elif (
        found.sku.lower() != spec.sku.lower()
        or found.capacity != spec.capacity
        or found.model_id != rec.model_id
    ):
        before = {"sku": found.sku, "capacity": found.capacity, "model": found.model_id}
        after = {"sku": spec.sku, "capacity": spec.capacity, "model": rec.model_id}
        changed = ", ".join(f"{k}: {before[k]} → {after[k]}" for k in before if before[k] != after[k])
        draft.add(
            Change(
                address,
                Action.UPDATE,
                f"update deployment {want} in place ({changed})",
                before,
                after,
                (step,),
                deposed=f"deployment {want}",
            )
        )
    elif recorded is None or recorded.name != want:
        draft.add(
            Change(
                address,
                Action.ADOPT,
                f"record deployment {want}, found in the account",
                None,
                {"deployment": want},
                (step,),
                deposed=f"deployment {want}",
            )
        )
    draft.hosting.append(line)
    return kept


def _drift(ctx: Context, draft: Draft, address: str, name: str, found: ObservedDeployment | None) -> None:
    if found is not None and found.phase is DeploymentPhase.FAILED:
        where = "the Azure portal's activity log" if ctx.project.provider.type == "azure" \
            else "the service's console"  # a Together endpoint's state carries no message either
        message = f"deployment {name}: provisioning {found.state} (the service's message is in {where})"
        draft.drift.append(Drift(address, message))
        return
    if found is not None:
        return
    rec = next(
        (
            r.deployment
            for r in ctx.records.models.values()
            if r.deployment is not None and r.deployment.name == name
        ),
        None,
    )
    azure = ctx.project.provider.type == "azure"
    why = (
        f"deleted outside ftops: Azure deletes a fine-tuned deployment after {IDLE_DAYS} days without "
        "traffic, or someone deleted it"
        if azure
        else "deleted outside ftops (by hand, or stopped and removed on the service)"
    )
    if azure and rec is not None and ctx.options.today is not None:
        from datetime import UTC, datetime

        age = (ctx.options.today - datetime.fromtimestamp(rec.created_at, UTC).date()).days
        if age > IDLE_DAYS:
            why += f" (it was {age} days old: most likely the {IDLE_DAYS}-day idle deletion)"
    draft.drift.append(Drift(address, f"deployment {name} was {why}"))


def _promotion(draft: Draft, address: str) -> tuple[Change, PromoteModel] | None:
    for change in draft.changes:
        if change.address == address and change.deposed is None:
            for step in change.steps:
                if isinstance(step, PromoteModel):
                    return change, step
    return None


def _candidate_model(draft: Draft, model: ActiveModel) -> str | None:
    """The model a promotion will deploy, when already known (a pinned one, or a finished job's)."""
    if model.model is not None:
        return model.model
    view = draft.jobs.get(model.job or "")
    return view.fine_tuned_model if view is not None else None


def _base_of(ctx: Context, model: ActiveModel) -> str:
    if model.job is not None and model.job in ctx.project.jobs:
        return ctx.project.jobs[model.job].model
    return model.model or "?"


def _line(
    ctx: Context, address: str, name: str, model: str, sku: str, capacity: int, change: str
) -> HostingLine:
    price = hosting_price(model, sku, ctx.project.hosting_pricing, capacity)
    return HostingLine(address, name, model, sku, capacity, price.usd_per_hour if price else None, change)


def _models_after_their_deployments(draft: Draft) -> None:
    """A model is deleted only after every deployment of it this plan deletes."""
    deleting: dict[str, list[str]] = {}
    for change in draft.changes:
        for step in change.steps:
            if isinstance(step, DeleteDeployment):
                deleting.setdefault(step.model_id, []).append(change.key)
    if not deleting:
        return
    for index, change in enumerate(draft.changes):
        needs = [
            key
            for step in change.steps
            if isinstance(step, DeleteModel)
            for key in deleting.get(step.model_id, ())
            if key != change.key
        ]
        if needs:
            draft.changes[index] = replace(
                change, depends_on=tuple(dict.fromkeys((*change.depends_on, *needs)))
            )


def _check_hosting_budget(ctx: Context, draft: Draft) -> None:
    budget = ctx.project.budget
    if budget is None or budget.monthly_hosting_usd is None or ctx.options.refresh_only or ctx.destroy:
        return
    running = [line for line in draft.hosting if line.change != "delete"]
    unknown = [line for line in running if line.usd_per_hour is None]
    if unknown:
        models = ", ".join(sorted({line.model for line in unknown}))
        raise BudgetExceededError(
            f"the hosting cost of {', '.join(line.deployment for line in unknown)} cannot be estimated "
            f"(no hourly price for {models}), so budget.monthly_hosting cannot be checked",
            hint=f"Add `pricing: {{{models}: {{hosting: USD per hour}}}}` to the manifests.",
        )
    total = sum(line.usd_per_month or 0.0 for line in running)
    if total > budget.monthly_hosting_usd:
        detail = ", ".join(f"{line.deployment} ${line.usd_per_month or 0.0:,.2f}" for line in running)
        raise BudgetExceededError(
            f"the deployments' run-rate ${total:,.2f}/month is above budget.monthly_hosting "
            f"${budget.monthly_hosting_usd:,.2f} ({detail})",
            hint="Raise budget.monthly_hosting, remove a deployment, or use a cheaper deployment type (sku).",
        )
