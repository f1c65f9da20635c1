"""A project on several providers, cut into one part per provider alias.

Each part is an ordinary project on one provider, so the planner and the executor run on it
unchanged. What belongs where:

- a job is on its ``provider:`` alias (``default``: the project's ``provider:`` block);
- a dataset with ``provider:`` is on that alias only; one without is uploaded to the provider
  of each job that reads it (tracked per provider), and to the default when no job reads it;
- a model name is on its job's provider (a pinned name on its own ``provider:``).

In the state, a dataset's or job's record on an alias other than ``default`` is kept at
``ADDRESS@ALIAS`` (``jobs.x@tg``, and ``pending.jobs.x@tg`` for its intent), so a job moving
between providers has its old and new records side by side; model names stay at
``models.NAME`` (the name applications use is one, wherever its model is).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Final

from ftops.plan.desired import Desired
from ftops.resources import ActiveModel, Project, ProviderConfig

DEFAULT: Final = "default"
SEPARATOR: Final = "@"


def alias_of_job(project: Project, name: str) -> str:
    return project.jobs[name].provider or DEFAULT


def alias_of_model(project: Project, model: ActiveModel) -> str:
    if model.job is not None and model.job in project.jobs:
        return alias_of_job(project, model.job)
    return model.provider or DEFAULT


def aliases(project: Project) -> tuple[str, ...]:
    """Every alias the manifests declare, ``default`` first."""
    return (DEFAULT, *sorted(a for a in project.providers if a != DEFAULT))


def config_of(project: Project, alias: str) -> ProviderConfig:
    return project.provider if alias == DEFAULT else project.providers[alias]


def is_multi(project: Project) -> bool:
    """Whether the project names any alias: only then is it planned part by part."""
    return bool(project.providers)


def fingerprint(config: ProviderConfig) -> dict[str, str]:
    """What identifies a provider's service in the state: its type and address, never a key."""
    out: dict[str, str] = {"type": config.type}
    for key in ("base_url", "endpoint", "organization", "project"):
        value = getattr(config, key)
        if value is not None:
            out[key] = value
    return out


# ---- the project's parts --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Part:
    alias: str
    desired: Desired  # the part's project (its provider as the default) and its datasets' facts


def parts(desired: Desired) -> tuple[Part, ...]:
    project = desired.project
    out = []
    for alias in aliases(project):
        jobs = {n: j for n, j in project.jobs.items() if alias_of_job(project, n) == alias}
        read = {d for j in jobs.values() for d in (j.training_file, j.validation_file) if d is not None}
        readers = {d for j in project.jobs.values() for d in (j.training_file, j.validation_file) if d}
        datasets = {
            n: d for n, d in project.datasets.items()
            if d.provider == alias or (d.provider is None and n in read)
            or (d.provider is None and alias == DEFAULT and n not in readers)
        }
        models = {n: m for n, m in project.models.items() if alias_of_model(project, m) == alias}
        sub = replace(
            project, provider=config_of(project, alias), providers=MappingProxyType({}),
            datasets=MappingProxyType(datasets), jobs=MappingProxyType(jobs), models=MappingProxyType(models),
            budget=None,  # the whole project's budget is checked once, over every part's costs
        )
        out.append(Part(alias, replace(
            desired, project=sub,
            datasets=MappingProxyType({n: f for n, f in desired.datasets.items() if n in datasets}),
            estimates=MappingProxyType({n: e for n, e in desired.estimates.items() if n in jobs}),
            gates=MappingProxyType({n: g for n, g in desired.gates.items() if n in models}),
        )))
    return tuple(out)


# ---- the state's parts ----------------------------------------------------------------------


def alias_of_key(key: str) -> str:
    """The alias a state address belongs to (model names belong to none: see ``in_view``)."""
    name = key.partition(".")[2]
    return name.rpartition(SEPARATOR)[2] if SEPARATOR in name else DEFAULT


def is_model_key(key: str) -> bool:
    return key.startswith("models.")


def in_view(key: str, alias: str) -> bool:
    return is_model_key(key) or (alias_of_key(key) == alias)


def to_view(key: str, alias: str) -> str:
    if is_model_key(key) or alias == DEFAULT:
        return key
    return key.removesuffix(SEPARATOR + alias)


def to_state(key: str, alias: str) -> str:
    """A part's address as the state keeps it (the inverse of ``to_view``)."""
    if is_model_key(key) or alias == DEFAULT:
        return key
    return key + SEPARATOR + alias


def view(resources: Mapping[str, Any], alias: str) -> dict[str, Any]:
    """The records one part sees, at the addresses its plan and steps use; every model name."""
    return {to_view(k, alias): v for k, v in resources.items() if in_view(k, alias)}


def merge_view(resources: Mapping[str, Any], alias: str, part: Mapping[str, Any]) -> dict[str, Any]:
    """The whole state once a part's records are ``part`` (the records' objects are kept)."""
    out = {k: v for k, v in resources.items() if not in_view(k, alias)}
    out.update((to_state(k, alias), v) for k, v in part.items())
    return out


def state_aliases(resources: Mapping[str, Any]) -> set[str]:
    return {alias_of_key(k) for k in resources if not is_model_key(k)}


def model_alias(resources: Mapping[str, Any], name: str, project: Project) -> str:
    """The alias whose service holds the model a name points at now: the alias of the job record
    that made it (a moved name keeps its old job's record until the new model passes its checks),
    else the manifests' alias for the name, else ``default``."""
    record = resources.get(f"models.{name}")
    job_id = record.get("job_id") if isinstance(record, Mapping) else None
    if job_id:
        for key, value in resources.items():
            if key.startswith("jobs.") and isinstance(value, Mapping) and value.get("job_id") == job_id:
                return alias_of_key(key)
    declared = project.models.get(name)
    return alias_of_model(project, declared) if declared is not None else DEFAULT
