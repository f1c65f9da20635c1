"""What the chosen provider would refuse in a job, found offline with its file and line.

The schema accepts every provider's fields; this rule reads each job's provider's facts
(``ftops.provider.accepts``: one table per service) and refuses, in each job, a field,
method, hyperparameter, training kind or ``auto`` the provider does not take, a base
model it cannot train that way, and a value beyond the model's limits. It reads the plain
values defensively: a value of the wrong type was reported by the schema and is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, TypeGuard

from ftops.diagnostics import Diagnostic
from ftops.manifest.aliases import DEFAULT_ALIAS, declared_aliases
from ftops.manifest.reader import LocatedDocument, PathKey
from ftops.manifest.rules import Entry, method_type, provider_settings
from ftops.manifest.schema import did_you_mean
from ftops.provider.accepts import JobAcceptance, ModelLimits, acceptance_for, every_acceptance
from ftops.resources import AUTO

CODE: Final = "manifest.provider-refuses"
SCHEMA_MAX_SUFFIX: Final = 64  # a longer suffix is the schema's to report
LORA_SETTINGS: Final = ("lora_rank", "lora_alpha", "lora_dropout")
_KIND_NAMES: Final = {"lora": "LoRA", "full": "full"}


@dataclass(frozen=True, slots=True)
class JobProviders:
    """Each job's provider, from the plain values: its ``provider:`` alias's settings, or the
    project's ``provider:`` block (``default``, and for an alias not declared, which
    ``aliases`` reports)."""

    settings: Mapping[str, Mapping[str, Any]]  # alias -> settings as written

    @classmethod
    def of(cls, docs: list[LocatedDocument]) -> JobProviders:
        declared, _ = declared_aliases(docs)  # their conflicts are reported by ``aliases``
        settings: dict[str, Mapping[str, Any]] = {
            alias: value for alias, value in declared.items() if isinstance(value, dict)}
        settings[DEFAULT_ALIAS] = provider_settings(docs)
        return cls(MappingProxyType(settings))

    def settings_of(self, job: Any) -> Mapping[str, Any]:
        alias = job.get("provider") if isinstance(job, dict) else None
        return self.settings.get(alias if isinstance(alias, str) else DEFAULT_ALIAS,
                                 self.settings[DEFAULT_ALIAS])

    def type_of(self, job: Any) -> str:
        kind = self.settings_of(job).get("type", "openai")
        return kind if isinstance(kind, str) else "openai"

    def accepts_of(self, job: Any) -> JobAcceptance:
        return acceptance_for(self.type_of(job))


def job_fields(entries: dict[str, dict[str, Entry]], providers: JobProviders) -> list[Diagnostic]:
    """One diagnostic per thing a job's provider would refuse, at the key that says it."""
    out: list[Diagnostic] = []
    for _, entry in sorted(entries["jobs"].items()):
        if isinstance(entry.data, dict):
            accepts = providers.accepts_of(entry.data)
            out.extend(entry.doc.diagnostic(path, message, CODE, key=True)
                       for path, message in _job_problems(entry.path, entry.data, accepts))
    return out


def _job_problems(at: PathKey, job: dict[str, Any], accepts: JobAcceptance) -> Iterator[tuple[PathKey, str]]:
    service = accepts.service
    elsewhere = frozenset().union(*(a.job_fields for a in every_acceptance()))  # else the schema said it
    for key in sorted(k for k in job if k in elsewhere and k not in accepts.job_fields):
        yield (*at, key), f"{service} does not take {key}{_instead(accepts, key)}"
    method = method_type(job)
    raw_method = job.get("method")
    known = set().union(*(a.methods for a in every_acceptance()))  # else the schema said it
    if method in known and method not in accepts.methods:
        where = (*at, "method", "type") if isinstance(raw_method, dict) and "type" in raw_method \
            else (*at, "method")
        yield where, f"{service} does not offer method {method}{_instead(accepts, method)}"
        return
    method = method if isinstance(method, str) and method in accepts.methods else "supervised"
    training = raw_method.get("training") if isinstance(raw_method, dict) else None
    if training is not None and training not in accepts.training_kinds:
        yield (*at, "method", "training"), (f"{service} does not take method.training"
                                            + _instead(accepts, "training"))
        training = None
    hyper_at, hyper = _hyperparameters(at, job)
    taken = accepts.methods[method]
    known_elsewhere = set().union(*(a.methods.get(method, frozenset()) for a in every_acceptance()))
    for name, value in hyper.items():
        if name not in taken and name in known_elsewhere:  # else the schema already said it
            yield (*hyper_at, name), (f"{service} does not take {name} for method {method}"
                                      + _instead(accepts, name))
        elif value == AUTO and not accepts.takes_auto:
            yield (*hyper_at, name), f"{service} takes no 'auto': leave {name} out for its default"
    suffix = job.get("suffix")
    if isinstance(suffix, str) and accepts.max_suffix < len(suffix) <= SCHEMA_MAX_SUFFIX:
        reason = f": {accepts.suffix_reason}" if accepts.suffix_reason else ""
        yield (*at, "suffix"), (f"{service} takes a suffix of at most {accepts.max_suffix} characters, "
                                f"not {len(suffix)}{reason}")
    model = job.get("model")
    if not isinstance(model, str):
        return
    limits = accepts.models.get(model)
    if limits is None:
        if accepts.namespaced_models and "/" not in model:
            yield (*at, "model"), (f"{model!r} is not a model {service} fine-tunes: its models are named "
                                   f"<organization>/<model>{did_you_mean(model, accepts.models)}")
        return
    kind = training if isinstance(training, str) else accepts.default_training
    yield from _limit_problems(at, hyper_at, hyper, job, method, kind, limits, service)


def _hyperparameters(at: PathKey, job: dict[str, Any]) -> tuple[PathKey, dict[str, Any]]:
    method = job.get("method")
    if isinstance(method, dict):
        hyper = method.get("hyperparameters")
        return (*at, "method", "hyperparameters"), hyper if isinstance(hyper, dict) else {}
    hyper = job.get("hyperparameters")
    return (*at, "hyperparameters"), hyper if isinstance(hyper, dict) else {}


def _limit_problems(at: PathKey, hyper_at: PathKey, hyper: dict[str, Any], job: dict[str, Any], method: str,
                    kind: str | None, limits: ModelLimits, service: str) -> Iterator[tuple[PathKey, str]]:
    model = limits.name
    batch = limits.batch.get(kind) if kind is not None else None
    if kind is not None and batch is None:
        offered = " or ".join(_KIND_NAMES.get(k, k) for k in sorted(limits.batch))
        yield (*at, "method", "training"), (f"{service} offers no {_KIND_NAMES.get(kind, kind)} training of "
                                            f"{model} ({offered} only)")
    if kind == "full":
        for name in LORA_SETTINGS:
            if name in hyper:
                yield (*hyper_at, name), f"{name} applies to LoRA training, not full training"
    bounds: tuple[tuple[str, int | float], ...] = (
        ("n_epochs", limits.max_epochs),
        ("n_evals", limits.max_evals),
        ("n_checkpoints", limits.max_checkpoints),
        ("lora_rank", limits.max_lora_rank),
        ("learning_rate", limits.max_learning_rate),
    )
    for name, high in bounds:
        value = hyper.get(name)
        if _number(value) and value > high:
            yield (*hyper_at, name), f"{model} takes {name} of at most {high} on {service}, not {value}"
    size = hyper.get("batch_size")
    if batch is not None and _number(size) and not batch.low <= size <= batch.high_for(method):
        training = f"{_KIND_NAMES.get(kind, kind)} {method}" if kind else method
        yield (*hyper_at, "batch_size"), (f"{model} takes a batch_size from {batch.low} to "
                                          f"{batch.high_for(method)} for {training} training on {service}, "
                                          f"not {size}")
    evals = hyper.get("n_evals")
    if _number(evals) and evals > 0 and job.get("validation_file") is None:
        yield (*hyper_at, "n_evals"), "n_evals evaluates on the validation file: set validation_file"


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _instead(accepts: JobAcceptance, word: str) -> str:
    hint = accepts.instead.get(word)
    return f": {hint}" if hint else ""


DEPLOYMENT_FIELDS: Final = {"azure": ("sku", "capacity"), "together": ("hardware", "replicas")}


def deployment_fields(entries: dict[str, dict[str, Entry]], providers: JobProviders) -> list[Diagnostic]:
    """``models.NAME.deployment`` speaks its provider's words: ``sku``/``capacity`` are Azure's,
    ``hardware``/``replicas`` Together's (which needs ``hardware``); at the key that says it."""
    out: list[Diagnostic] = []
    for _, entry in sorted(entries["models"].items()):
        raw = entry.data.get("deployment") if isinstance(entry.data, dict) else None
        if not isinstance(raw, dict):
            continue
        job_name = entry.data.get("job")
        job = entries["jobs"].get(job_name) if isinstance(job_name, str) else None
        service = providers.type_of(job.data if job is not None else entry.data)
        at = (*entry.path, "deployment")
        own = DEPLOYMENT_FIELDS.get(service)
        if own is None:
            continue  # a provider without deployments: the planner says it ignores the block
        for other, fields in DEPLOYMENT_FIELDS.items():
            for field in fields:
                if other != service and field in raw:
                    message = (f"'{field}' is {other.capitalize()}'s; a deployment on {service} takes "
                               f"{' and '.join(own)}")
                    out.append(entry.doc.diagnostic((*at, field), message, CODE, key=True))
        settings = providers.settings_of(job.data if job is not None else entry.data)
        if service == "together" and not isinstance(settings.get("project"), str):
            message = "a dedicated endpoint on Together needs the Together project id in provider.project"
            out.append(entry.doc.diagnostic(at, message, CODE, key=True))
        if service == "together" and "hardware" not in raw:
            out.append(entry.doc.diagnostic(at, "a dedicated endpoint on Together needs 'hardware' (an id of "
                                            "Together's hardware listing, e.g. 1x_nvidia_h100_80gb_sxm)",
                                            CODE, key=True))
    return out
