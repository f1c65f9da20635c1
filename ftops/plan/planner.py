"""The pure planner: (desired, state, observed, options) -> Plan. No I/O, no clock, no network.

The rules live in one module per kind (``_datasets``, ``_jobs``, ``_models``); this module
runs them in dependency order (uploads, then jobs, then names and pruning, then the deletions
that wait for cancellations), then applies what cuts across them: ``--target``, the budget,
base-model shutdown dates, ``--refresh-only`` and a deterministic order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ftops.errors import BudgetExceededError, ManifestError, PlanError, UsageError
from ftops.plan._context import Context, Draft
from ftops.plan._datasets import plan_dataset_cleanup, plan_datasets
from ftops.plan._deployments import plan_deployments
from ftops.plan._jobs import plan_jobs
from ftops.plan._lifecycle import check_shutdowns, model_lifecycle
from ftops.plan._models import plan_models
from ftops.plan.base_models import base_model_problems
from ftops.plan.desired import Desired
from ftops.plan.listing import needs_full_job_listing
from ftops.plan.model import (
    Action,
    Change,
    CostLine,
    CreateJob,
    ForgetResource,
    Plan,
    PlanBase,
)
from ftops.plan.observed import Observed
from ftops.plan.options import PlanOptions
from ftops.plan.records import read_records
from ftops.resources import ADDRESS_KINDS, empty_mapping, freeze

if TYPE_CHECKING:
    from ftops.state import StateSnapshot

__all__ = ["PlanOptions", "make_plan"]

_KIND_ORDER = {kind: i for i, kind in enumerate(ADDRESS_KINDS)}


def make_plan(
    desired: Desired, state: StateSnapshot | None, observed: Observed, options: PlanOptions = PlanOptions()
) -> Plan:
    _check_desired(desired)
    records = read_records(state)
    if observed.jobs_since is not None:
        why = needs_full_job_listing(desired, records, options)
        if why is not None:
            # A caller's bug, never a user's: adoption would miss older jobs and train again.
            raise RuntimeError(f"a partial jobs listing cannot plan this ({why}): refresh all jobs")
    _check_addresses(desired, records_addresses=_recorded(state), options=options)
    ctx = Context(desired, records, observed, options)
    draft = Draft()
    if state is not None and state.project not in (None, desired.project.name):
        draft.warn(
            f"the state was written for project {state.project!r} and the manifests now say "
            f"{desired.project.name!r}: uploads are named and jobs tagged by project, so objects of "
            f"{state.project!r} are not found by their identity"
        )
    # refresh-only runs the same rules, so drift and progress are reported alike; its changes
    # are dropped, and refusals (budget, protection) do not apply to a plan that changes nothing.
    _run_rules(ctx, draft)
    changes = _ordered(draft.changes)
    if options.targets and not options.refresh_only:
        changes = _targeted(ctx, draft, changes)
    creates = {s.address for c in changes for s in c.steps if isinstance(s, CreateJob)}
    lifecycle = model_lifecycle(ctx)
    costs = tuple(line for line in draft.costs if line.address in creates)
    if not options.refresh_only:
        _check_base_models(ctx, creates)
        check_shutdowns(ctx, draft, creates, lifecycle)
        _check_budget(ctx, costs)
        _check_gate_budget(ctx, costs, draft.gate_costs)
        _check_dependencies(changes)
    base = PlanBase(
        state_lineage=state.lineage if state is not None else None,
        state_serial=state.serial if state is not None else None,
        inputs_digest=desired.inputs_digest(),
    )
    return Plan(
        project=desired.project.name,
        base=base,
        changes=() if options.refresh_only else tuple(changes),
        drift=tuple(sorted(draft.drift, key=lambda d: (_sort_key(d.address), d.message))),
        warnings=tuple(draft.warnings),
        costs=() if options.refresh_only else costs,
        in_progress=freeze(dict(sorted(draft.in_progress.items()))) if draft.in_progress else empty_mapping(),
        refresh_only=options.refresh_only,
        lifecycle=lifecycle,
        hosting=() if options.refresh_only else tuple(draft.hosting),
    )


def _check_desired(desired: Desired) -> None:
    """The caller's promise (the manifest loader checks references): fail clearly if broken."""
    project = desired.project
    for job in project.jobs.values():
        for name in (job.training_file, job.validation_file):
            if name is not None and name not in desired.datasets:
                raise PlanError(f"{job.address} reads datasets.{name}, which has no fingerprint")
    for model in project.models.values():
        if (model.job is None) == (model.model is None):
            raise PlanError(f"{model.address} must name exactly one of a job and a model")
        if model.job is not None and model.job not in project.jobs:
            raise PlanError(f"{model.address} names jobs.{model.job}, which is not declared")


def _run_rules(ctx: Context, draft: Draft) -> None:
    plan_datasets(ctx, draft)
    plan_jobs(ctx, draft)
    plan_models(ctx, draft)
    plan_deployments(ctx, draft)
    plan_dataset_cleanup(ctx, draft)
    _forget_stale_intents(ctx, draft)


def _forget_stale_intents(ctx: Context, draft: Draft) -> None:
    """An intent whose resource is neither declared nor recorded any more, and that no change
    of this plan handles: the interrupted create is settled (anything it made is cleaned up as
    an orphan), so the intent is dropped."""
    handled = {c.address for c in draft.changes if c.deposed is None}
    records = ctx.records
    recorded = (
        {f"datasets.{n}" for n in records.datasets}
        | {f"jobs.{n}" for n in records.jobs}
        | {f"models.{n}" for n in records.models}
    )
    declared = (
        set()
        if ctx.destroy
        else (
            {d.address for d in ctx.project.datasets.values()}
            | {j.address for j in ctx.project.jobs.values()}
        )
    )
    for address in sorted(records.pending):
        if address in handled or address in recorded or address in declared:
            continue
        reason = "forget the intent left by an interrupted apply (the resource is no longer declared)"
        draft.add(Change(address, Action.DELETE, reason, None, None, (ForgetResource(address),)))


def check_options(desired: Desired, state: StateSnapshot | None, options: PlanOptions) -> None:
    """The --target/--replace addresses, checked before the account is read (``make_plan``
    checks them again): a mistyped flag costs no request."""
    _check_addresses(desired, records_addresses=_recorded(state), options=options)


def _recorded(state: StateSnapshot | None) -> set[str]:
    return set(state.resources) if state is not None else set()


def _check_addresses(desired: Desired, records_addresses: set[str], options: PlanOptions) -> None:
    project = desired.project
    known = (
        {d.address for d in project.datasets.values()}
        | {j.address for j in project.jobs.values()}
        | {m.address for m in project.models.values()}
        | {a for a in records_addresses if a.split(".", 1)[0] in ADDRESS_KINDS}
    )
    for flag, addresses in (("--target", options.targets), ("--replace", options.replaces)):
        for address in sorted(addresses):
            kind = address.split(".", 1)[0]
            if kind not in ADDRESS_KINDS or "." not in address:
                raise UsageError(f"{flag} {address}: an address is datasets.NAME, jobs.NAME or models.NAME")
            if address not in known:
                raise UsageError(
                    f"{flag} {address}: no such resource in the manifests or the state",
                    hint="Known: " + ", ".join(sorted(known)) if known else None,
                )
    for address in sorted(options.replaces):
        if not address.startswith(("datasets.", "jobs.")):
            raise UsageError(f"--replace {address}: only datasets and jobs can be replaced (replace its job)")
        kind, name = address.split(".", 1)
        if name not in (project.datasets if kind == "datasets" else project.jobs):
            raise UsageError(f"--replace {address}: it is not declared in the manifests")


def _sort_key(address: str) -> tuple[int, str]:
    kind, _, name = address.partition(".")
    return (_KIND_ORDER.get(kind, len(_KIND_ORDER)), name)


def _ordered(changes: Iterable[Change]) -> list[Change]:
    """Datasets, jobs, models; by name; a resource's own change before its deposed objects'."""
    return sorted(changes, key=lambda c: (*_sort_key(c.address), c.deposed is not None, c.deposed or ""))


def _dependency_closure(ctx: Context, targets: Iterable[str]) -> set[str]:
    """What the targets depend on (to create them); with destroy, what depends on them (to
    delete them first), as Terraform's -target does."""
    edges: dict[str, set[str]] = {}  # address -> the addresses it depends on
    for model in ctx.project.models.values():
        edges.setdefault(model.address, set()).update(() if model.job is None else (f"jobs.{model.job}",))
    for job in ctx.project.jobs.values():
        edges.setdefault(job.address, set()).update(
            f"datasets.{d}" for d in (job.training_file, job.validation_file) if d is not None
        )
    if ctx.destroy:
        reverse: dict[str, set[str]] = {}
        for address, deps in edges.items():
            for dep in deps:
                reverse.setdefault(dep, set()).add(address)
        edges = reverse
    selected: set[str] = set()
    pending = list(targets)
    while pending:
        address = pending.pop()
        if address not in selected:
            selected.add(address)
            pending.extend(edges.get(address, ()))
    return selected


def _targeted(ctx: Context, draft: Draft, changes: list[Change]) -> list[Change]:
    """Only the targeted resources and what they depend on (with destroy: what depends on
    them); a change that waits for a change left out is left out too, and said."""
    selected = _dependency_closure(ctx, ctx.options.targets)
    kept = [c for c in changes if c.address in selected]
    while True:
        keys = {c.key for c in kept}
        dropped = [c for c in kept if any(d not in keys for d in c.depends_on)]
        if not dropped:
            break
        for change in dropped:
            missing = ", ".join(d for d in change.depends_on if d not in keys)
            draft.warn(f"{change.key} is left out: it waits for {missing}, which is not targeted")
        kept = [c for c in kept if c not in dropped]
    left_out = sum(1 for c in changes if c.steps and c not in kept)
    draft.warn(
        "Resource targeting is in effect: only "
        + ", ".join(sorted(ctx.options.targets))
        + (" and what depends on them" if ctx.destroy else " and what they depend on")
        + " are planned"
        + (f" ({left_out} other change{'s' if left_out != 1 else ''} left out)" if left_out else "")
        + "; plan again without --target to converge."
    )
    return kept


def _check_dependencies(changes: list[Change]) -> None:
    """Every dependency names a change of this plan, and they form no cycle (a planner bug
    otherwise: better refused here than half-applied)."""
    from ftops.plan.order import execution_order

    execution_order(changes)


def _check_base_models(ctx: Context, creates: set[str]) -> None:
    """Before the budget (a typo must not be priced, nor a price for it suggested) and before
    any upload: a job the plan would create on a model the account does not list or the
    catalogue knows cannot be fine-tuned."""
    jobs = [job for job in ctx.project.jobs.values() if job.address in creates]
    problems = base_model_problems(jobs, set(ctx.observed.models), ctx.options.catalogue)
    if problems:
        count = len(problems)
        raise ManifestError(
            f"{count} job{'s' if count != 1 else ''} would train on a base model that cannot be fine-tuned "
            "here; nothing was uploaded",
            problems,
        )


def _check_gate_budget(ctx: Context, lines: tuple[CostLine, ...], gates: dict[str, float | None]) -> None:
    """Training and judging the candidates together stay within the budget (an unknown judging
    cost is shown in the plan, not refused: the gate checks its own estimate again before asking)."""
    budget = ctx.project.budget
    judging = sum(usd for usd in gates.values() if usd is not None)
    if budget is None or not judging:
        return
    total = sum(line.usd or 0.0 for line in lines) + judging
    if total > budget.max_usd:
        raise BudgetExceededError(
            f"estimated training and gate sampling cost ${total:.2f} is above the budget of "
            f"${budget.max_usd:.2f} (gates ${judging:.2f})",
            hint="Raise budget.max_usd, use fewer eval cases or samples, or plan fewer jobs (--target).",
        )


def _check_budget(ctx: Context, lines: tuple[CostLine, ...]) -> None:
    budget = ctx.project.budget
    if budget is None:
        return
    unknown = [line for line in lines if line.usd is None]
    if unknown:
        models = ", ".join(sorted({line.model for line in unknown}))
        raise BudgetExceededError(
            f"the training cost of {', '.join(line.address for line in unknown)} cannot be estimated "
            f"(no price for {models}), so the budget of ${budget.max_usd:.2f} cannot be checked",
            hint=f"Add `pricing: {{{models}: USD per 1M training tokens}}` to the manifests.",
        )
    total = sum(line.usd or 0.0 for line in lines)
    if total > budget.max_usd:
        detail = ", ".join(f"{line.address} ${line.usd or 0.0:.2f}" for line in lines)
        raise BudgetExceededError(
            f"estimated training cost ${total:.2f} is above the budget of ${budget.max_usd:.2f} ({detail})",
            hint="Raise budget.max_usd, or plan fewer jobs (--target).",
        )
