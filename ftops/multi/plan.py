"""One plan for a project on several providers: each alias's part planned by the ordinary, pure
planner against that provider's own observations, then put together.

What putting together adds:

- addresses: a part's datasets and jobs get their alias (``jobs.x@tg``); each change carries
  the alias its requests go to (``Change.provider``);
- a model held by a name of another part is left to that name (a job that moved keeps its old
  model in its old part only as long as the name holds it): the name's own part prunes it after
  the promotion that replaces it, through the provider the model is on;
- a job that leaves one alias for another is shown as a move;
- the budget is checked once, over every part's costs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from types import MappingProxyType
from typing import Any

from ftops.errors import UsageError
from ftops.multi.partition import (
    DEFAULT,
    SEPARATOR,
    alias_of_key,
    alias_of_model,
    config_of,
    is_model_key,
    parts,
    state_aliases,
    to_state,
    view,
)
from ftops.plan._context import Context
from ftops.plan.desired import Desired
from ftops.plan.model import Action, Change, CreateJob, DeleteModel, Plan, PlanBase, PromoteModel
from ftops.plan.observed import Observed
from ftops.plan.options import PlanOptions
from ftops.plan.planner import _check_budget, make_plan
from ftops.plan.records import StateRecords, read_records
from ftops.resources import empty_mapping, freeze
from ftops.state import StateSnapshot


def check_state_providers(desired: Desired, state: StateSnapshot | None,
                          fingerprints: Mapping[str, Mapping[str, str]]) -> list[str]:
    """The state's records are on aliases the manifests still declare, each of the same type
    (another type is another account: refused); returns a warning for each alias whose address
    changed (a gateway, a new endpoint: its resources are looked for there)."""
    if state is None:
        return []
    for alias in sorted(state_aliases(state.resources)):
        if alias not in fingerprints:
            raise UsageError(
                f"the state holds resources on provider alias {alias!r}, which the manifests no longer "
                "declare", hint="Declare it again under `providers:` until its resources have moved "
                "(or are destroyed): ftops needs it to reach them.")
    warnings = []
    for alias, recorded in sorted(state.providers.items()):
        now = fingerprints.get(alias)
        if now is None or dict(recorded) == dict(now):
            continue
        if recorded.get("type") != now.get("type"):
            raise UsageError(
                f"provider alias {alias!r} was {_describe(recorded)} and the manifests now say "
                f"{_describe(now)}: its resources in the state are on the first",
                hint="Declare the new service under another alias and move jobs to it with "
                     "`provider: ALIAS` (docs/migrating.md); keep this alias as it was meanwhile.")
        warnings.append(f"provider alias {alias!r} was {_describe(recorded)} and is now {_describe(now)}: "
                        "its resources are looked for at the new address")
    return warnings


def _describe(fingerprint: Mapping[str, str]) -> str:
    where = fingerprint.get("base_url") or fingerprint.get("endpoint")
    return fingerprint["type"] + (f" ({where})" if where else "")


def name_parts(desired: Desired, records: StateRecords, observed: Mapping[str, Observed]) -> dict[str, str]:
    """Each model name's part: a declared name its job's (or its pin's) alias; a name only the
    state records, the alias whose account lists its current model (else ``default``)."""
    project = desired.project
    out = {name: alias_of_model(project, model) for name, model in project.models.items()}
    for name, record in records.models.items():
        if name not in out:
            out[name] = next((a for a, seen in sorted(observed.items()) if record.model_id in seen.models),
                             DEFAULT)
    return out


def plan_parts(desired: Desired, state: StateSnapshot | None, observed: Mapping[str, Observed],
               options: Mapping[str, PlanOptions]) -> Plan:
    """The plan of every part (``options``: each alias's, e.g. its service's catalogue), together."""
    records = read_records(state)
    placed = name_parts(desired, records, observed)
    # Where each model a name holds is listed: a name's part may hold a model of another part.
    home: dict[str, str] = {}
    for alias, seen in observed.items():
        for model_id in seen.models:
            home.setdefault(model_id, alias)
    held_by: dict[str, str] = {}  # model id -> the part of the name that holds it
    for name, record in records.models.items():
        for model_id in (record.model_id, *record.previous):
            held_by.setdefault(model_id, placed[name])
    made = _made_by_project(desired, records, observed)
    plans: list[tuple[str, Plan]] = []
    for part in parts(desired):
        alias = part.alias
        seen = observed[alias]
        part_state = None
        if state is not None:
            resources = {k: _with_evidence(k, v, made) for k, v in view(state.resources, alias).items()
                         if not is_model_key(k) or placed.get(k.partition(".")[2]) == alias}
            part_state = state.with_resources(resources)
        foreign = {m: seen_elsewhere for m, a in held_by.items() if a == alias and m not in seen.models
                   and (seen_elsewhere := home.get(m)) is not None}
        if foreign:
            models = dict(seen.models)
            models.update((m, observed[a].models[m]) for m, a in foreign.items())
            seen = replace(seen, models=MappingProxyType(models))
        part_options = _part_options(options[alias], alias, placed, desired)
        if part_options is None:
            continue  # --target names nothing of this part
        plan = make_plan(part.desired, part_state, seen, part_options)
        if foreign:
            plan = _lifecycle_elsewhere(plan, foreign, records, observed, part_options)
        changes = [_routed(c, alias, foreign) for c in plan.changes
                   if not _leaves_to_another_part(c, alias, held_by)]
        plans.append((alias, replace(plan, changes=tuple(changes))))
    together = _together(desired, state, plans)
    if not together.refresh_only:
        any_options = next(iter(options.values()), PlanOptions())
        _check_budget(Context(desired, StateRecords(), Observed(), any_options), together.costs)
    return together


def _part_options(options: PlanOptions, alias: str, placed: Mapping[str, str],
                  desired: Desired) -> PlanOptions | None:
    """``--target`` and ``--replace`` addresses of this part, as its plan names them; None when
    targets are given and none is in this part. A job's plain address is its declared alias's."""
    jobs = desired.project.jobs

    def part_of(address: str) -> str:
        kind, _, name = address.partition(".")
        if is_model_key(address):
            return placed.get(name, DEFAULT)
        if kind == "jobs" and SEPARATOR not in name and name in jobs:
            return jobs[name].provider or DEFAULT
        return alias_of_key(address)

    def mine(addresses: frozenset[str]) -> frozenset[str]:
        return frozenset(a.removesuffix(SEPARATOR + alias) for a in addresses if part_of(a) == alias)

    if options.targets and not mine(options.targets):
        return None
    return replace(options, targets=mine(options.targets), replaces=mine(options.replaces))


def _lifecycle_elsewhere(plan: Plan, foreign: Mapping[str, str], records: StateRecords,
                         observed: Mapping[str, Observed], options: PlanOptions) -> Plan:
    """A name that still holds a model of another provider (a move under way) shows that
    model's base and shutdown date, read from the provider it is on: a part knows only its own
    jobs, and would show its new job's base."""
    fixed, warnings = [], list(plan.warnings)
    for entry in plan.lifecycle:
        where = foreign.get(entry.model_id or "")
        if where is None:
            fixed.append(entry)
            continue
        seen = observed[where]
        makers = [j.model for j in seen.jobs.values() if j.fine_tuned_model == entry.model_id]
        makers += [j.base_model for j in records.jobs.values() if j.fine_tuned_model == entry.model_id]
        base = makers[0] if makers else entry.base_model
        own = seen.models.get(entry.model_id or "")
        text = (own.shutdown_date if own is not None else None) or (
            seen.models[base].shutdown_date if base in seen.models else None)
        when = _date(text)
        days = (when - options.today).days if when is not None and options.today is not None else None
        moved = replace(entry, base_model=base, shutdown_date=when.isoformat() if when else None,
                        days_left=days)
        fixed.append(moved)
        stale = f"{entry.address}: {entry.model_id} (on "
        warnings = [w for w in warnings if not w.startswith(stale)]
        if days is not None and days < options.shutdown_warning_days:
            state = "shut down on" if days <= 0 else "shuts down on"
            warnings.append(f"{entry.address}: {entry.model_id} (on {base}, on provider {where}) {state} "
                            f"{moved.shutdown_date} ({days} days)")
    return replace(plan, lifecycle=tuple(fixed), warnings=tuple(warnings))


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _made_by_project(desired: Desired, records: StateRecords, observed: Mapping[str, Observed]) -> set[str]:
    """The models one of the project's jobs made, on any provider (the state's job records, and
    the project's jobs each account lists)."""
    made = {r.fine_tuned_model for r in records.jobs.values() if r.fine_tuned_model}
    for seen in observed.values():
        made |= {j.fine_tuned_model for j in seen.jobs.values() if j.fine_tuned_model
                 and j.identity is not None and j.identity.project == desired.project.name}
    return made


def _with_evidence(key: str, record: Any, made: set[str]) -> Any:
    """A name's record recorded before ownership (no origin for a model) counts its model as
    created by ftops when one of the project's jobs made it; a part sees only its own jobs, so
    the evidence of the other parts' jobs is written into the part's copy of the record."""
    if not is_model_key(key) or not isinstance(record, Mapping):
        return record
    origins = dict(record.get("origins") or {})
    held = [record.get("model_id"), *(record.get("previous") or ())]
    missing = {m: "ftops" for m in held if isinstance(m, str) and m in made and m not in origins}
    return {**record, "origins": {**origins, **missing}} if missing else record


def _leaves_to_another_part(change: Change, alias: str, held_by: Mapping[str, str]) -> bool:
    """A prune of a model that a name of another part holds: that name's part decides."""
    deletes = [s for s in change.steps if isinstance(s, DeleteModel)]
    return bool(deletes) and len(deletes) == len(change.steps) and all(
        held_by.get(s.model_id, alias) != alias for s in deletes)


def _address(address: str, alias: str) -> str:
    return to_state(address, alias)


def _routed(change: Change, alias: str, foreign: Mapping[str, str]) -> Change:
    deletes = {s.model_id for s in change.steps if isinstance(s, DeleteModel)}
    route = alias
    if deletes and deletes <= set(foreign):
        route = foreign[next(iter(deletes))]  # a moved name's old model: deleted where it is
    elif deletes & set(foreign):
        raise AssertionError(f"{change.key}: one change deletes models on two providers")
    return replace(
        change,
        address=_address(change.address, alias),
        depends_on=tuple(_key(d, alias) for d in change.depends_on),
        provider=route,
    )


def _key(key: str, alias: str) -> str:
    address, bracket, deposed = key.partition("[")
    return _address(address, alias) + bracket + deposed


def _together(desired: Desired, state: StateSnapshot | None, plans: list[tuple[str, Plan]]) -> Plan:
    changes = [c for _, p in plans for c in p.changes]
    changes = _show_moves(desired, changes)
    kinds = {"datasets": 0, "jobs": 1, "models": 2}
    changes.sort(key=lambda c: (kinds.get(c.address.partition(".")[0], 3), c.address, c.deposed or ""))
    warnings = list(dict.fromkeys(w if alias == DEFAULT else f"{alias}: {w}" for alias, p in plans
                                  for w in p.warnings))
    in_progress = {_address(a, alias): s for alias, p in plans for a, s in p.in_progress.items()}
    costs = tuple(replace(line, address=_address(line.address, alias))
                  for alias, p in plans for line in p.costs)
    refresh_only = any(p.refresh_only for _, p in plans)
    base = PlanBase(
        state_lineage=state.lineage if state is not None else None,
        state_serial=state.serial if state is not None else None,
        inputs_digest=desired.inputs_digest(),
    )
    return Plan(
        project=desired.project.name,
        base=base,
        changes=tuple(changes),
        drift=tuple(replace(d, address=_address(d.address, alias)) for alias, p in plans for d in p.drift),
        warnings=tuple(warnings),
        costs=costs,
        in_progress=freeze(dict(sorted(in_progress.items()))) if in_progress else empty_mapping(),
        refresh_only=refresh_only,
        lifecycle=tuple(sorted((m for _, p in plans for m in p.lifecycle), key=lambda m: m.address)),
    )


def _show_moves(desired: Desired, changes: list[Change]) -> list[Change]:
    """``jobs.x@tg`` created while ``jobs.x`` (another alias) goes: say that the job moves. The
    old job's record goes only after the promotions of its successor: until then it tells which
    provider the names' current model is on (``partition.model_alias``)."""
    created = {_job_name(s.address): c.provider for c in changes for s in c.steps if isinstance(s, CreateJob)}
    removed = {c.address.partition(SEPARATOR)[0].removeprefix("jobs."): c.provider for c in changes
               if c.address.startswith("jobs.") and c.action is Action.DELETE and c.deposed is None}
    promotions: dict[tuple[str, str | None], list[str]] = {}
    for change in changes:
        for step in change.steps:
            if isinstance(step, PromoteModel) and step.job_address is not None:
                promotions.setdefault((_job_name(step.job_address), change.provider), []).append(change.key)
    project = desired.project

    def kind(alias: str | None) -> str:
        return config_of(project, alias or DEFAULT).type

    out = []
    for change in changes:
        name = change.address.partition(SEPARATOR)[0].removeprefix("jobs.")
        if change.address.startswith("jobs.") and name in created and name in removed \
                and created[name] != removed[name]:
            old, new = removed[name] or DEFAULT, created[name] or DEFAULT
            motion = f"moves {kind(old)} -> {kind(new)} ({old} -> {new})"
            if change.provider == new:
                change = replace(change, reason=f"{motion}: {change.reason}")
            elif change.action is Action.DELETE and change.deposed is None:
                after = tuple(promotions.get((name, created[name]), ()))
                reason = change.reason.removeprefix("removed from the manifests: ")
                change = replace(change, reason=f"{motion}: {reason}"
                                 + (f", once {', '.join(after)} moved" if after else ""),
                                 depends_on=(*change.depends_on, *after))
        out.append(change)
    return out


def _job_name(address: str) -> str:
    return address.removeprefix("jobs.")

