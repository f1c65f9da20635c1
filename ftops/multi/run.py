"""The composition root's side of several providers: open each alias's provider, refresh each,
plan each part, and route each change to its provider and its part of the state."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ftops.apply.executor import Route
from ftops.errors import UsageError
from ftops.multi.journal import PartJournal
from ftops.multi.partition import (
    DEFAULT,
    aliases,
    config_of,
    fingerprint,
    is_model_key,
    model_alias,
    to_state,
    view,
)
from ftops.multi.plan import check_state_providers, plan_parts
from ftops.multi.refresh import refresh_each
from ftops.multi.report import PartReporter

if TYPE_CHECKING:
    from ftops.apply.journal import StateJournal
    from ftops.apply.progress import Reporter
    from ftops.apply.status import JobStatus, ModelStatus
    from ftops.apply.unlocked_wait import WaitPhase
    from ftops.apply.waiting import WaitOptions
    from ftops.plan.desired import Desired
    from ftops.plan.model import Plan
    from ftops.plan.observed import ObservedJob
    from ftops.plan.options import PlanOptions
    from ftops.provider import Provider
    from ftops.state import StateSnapshot
    from ftops.workflow import PlanRun, Session


def fingerprints(current: Session) -> dict[str, dict[str, str]]:
    """Each alias's service as the state records it. Under ``--provider emulator`` every alias is
    an emulator (the rehearsal's state is kept apart anyway)."""
    from ftops.provider import effective_provider

    project, override = current.project, current.settings.provider
    return {alias: fingerprint(effective_provider(config_of(project, alias), override))
            for alias in aliases(project)}


def plan_every_provider(current: Session, desired: Desired, options: PlanOptions,
                        state: StateSnapshot | None) -> PlanRun:
    from ftops.workflow import PlanRun, _with_catalogue, _with_job_cutoff, provider_kind

    project = desired.project
    moved = check_state_providers(desired, state, fingerprints(current))
    by_alias = {alias: _with_catalogue(_with_job_cutoff(options, current, config_of(project, alias)),
                                       current, config_of(project, alias))
                for alias in aliases(project)}
    providers = {alias: current.provider_of(alias) for alias in aliases(project)}
    observed = refresh_each(providers, project.name)
    the_plan = plan_parts(desired, state, observed, by_alias)
    kind = provider_kind(project, current.settings)
    the_plan = replace(the_plan, base=replace(the_plan.base, provider=kind),
                       warnings=(*moved, *the_plan.warnings))
    return PlanRun(plan=the_plan, desired=desired, state=state, observed=observed[DEFAULT],
                   requests=sum(o.request_count for o in observed.values()), observed_by_alias=observed)


def routes_of(current: Session, journal: StateJournal, reporter: Reporter,
              gate: Callable[[Provider, Callable[[str], Provider]], Any]) -> dict[str, Route]:
    """Each alias's provider, part of the state, progress lines and gate (``gate(provider,
    baseline)``: the candidates answer on the alias's provider, a name's current model on the
    provider it is on, which a move makes another); the state records the aliases' services
    with its next write."""
    journal.record_providers(fingerprints(current))
    project = current.project

    def baseline(name: str) -> Provider:
        return current.provider_of(model_alias(journal.snapshot.resources, name, project))

    out = {}
    for alias in aliases(project):
        provider = current.provider_of(alias)
        out[alias] = Route(provider, PartJournal(journal, alias), gate(provider, baseline),
                           PartReporter(reporter, alias))
    return out


def creates_done_anywhere(current: Session, the_plan: Plan) -> tuple[str, ...]:
    """A saved plan's creates that some alias's account already holds (each read once more)."""
    from ftops.apply.replay import creates_already_done
    from ftops.provider import refresh

    done: list[str] = []
    for alias in aliases(current.project):
        mine = tuple(c for c in the_plan.changes if (c.provider or DEFAULT) == alias)
        if mine:
            observed = refresh(current.provider_of(alias), current.project.name)
            done += creates_already_done(replace(the_plan, changes=mine), observed)
    return tuple(done)



def statuses(current: Session) -> tuple[list[JobStatus], list[ModelStatus]]:
    """``ftops status`` with several providers: each alias's jobs and names asked of its own."""
    from ftops.apply.status import job_statuses, model_statuses
    from ftops.plan.records import read_records

    state = current.read_state()
    resources = state.resources if state is not None else {}
    jobs: list[JobStatus] = []
    models: list[ModelStatus] = []
    project = current.project
    for alias in aliases(project):
        part = {k: v for k, v in view(resources, alias).items()
                if not is_model_key(k) or model_alias(resources, k.partition(".")[2], project) == alias}
        records = read_records(part)
        if not records.jobs and not records.models:
            continue
        provider = current.provider_of(alias)
        jobs += [replace(row, address=to_state(row.address, alias))
                 for row in job_statuses(provider, current.project.name, records)]
        models += model_statuses(provider, records)
    return sorted(jobs, key=lambda j: j.address), sorted(models, key=lambda m: m.name)


def wait_each(current: Session, phase: WaitPhase, journal: StateJournal, options: WaitOptions,
              jobs: Mapping[str, str]) -> list[ObservedJob]:
    """``ftops wait`` with several providers: each alias's jobs (``jobs``: address -> job id, the
    state's addresses) waited for through its own provider, the lock released meanwhile."""
    from ftops.apply.unlocked_wait import wait_unlocked
    from ftops.multi.partition import alias_of_key

    ended: dict[str, ObservedJob] = {}
    for alias in aliases(current.project):
        mine = {a: job_id for a, job_id in jobs.items() if alias_of_key(a) == alias}
        if mine:
            waited = wait_unlocked(replace(phase, provider=current.provider_of(alias)), journal, options,
                                   jobs=mine)
            journal = waited.journal
            ended.update(waited.ended)
    return [ended[a] for a in sorted(ended)]


def import_into_part(current: Session, journal: StateJournal, desired: Desired, address: str,
                     object_id: str) -> str:
    """``ftops import`` with several providers: ``jobs.x@az`` (or a job's plain address, its
    declared alias's; a model name's, its job's) is looked up on its alias's provider and
    recorded in its part of the state."""
    from ftops.apply.admin import import_object
    from ftops.multi.partition import SEPARATOR, alias_of_key, alias_of_model, parts

    project = desired.project
    kind, _, name = address.partition(".")
    if kind == "models":
        declared = project.models.get(name)
        alias = alias_of_model(project, declared) if declared is not None else DEFAULT
    elif SEPARATOR not in name and kind == "jobs" and name in project.jobs:
        alias = project.jobs[name].provider or DEFAULT
    else:
        alias = alias_of_key(address)
    part = next((p for p in parts(desired) if p.alias == alias), None)
    if part is None:
        raise UsageError(f"{address}: no provider alias {alias!r} in the manifests")
    done = import_object(PartJournal(journal, alias), current.provider_of(alias), part.desired,
                         address.removesuffix(SEPARATOR + alias), object_id)
    return done if alias == DEFAULT else f"{done} (on provider {alias})"
