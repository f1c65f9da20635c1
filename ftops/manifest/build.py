"""Validated plain values -> the frozen ``ftops.resources`` model.

Runs only once every rule has passed, so it may assume the schema's shapes.
Numbers are normalised here (``2`` and ``2.0`` are the same learning rate
multiplier), because downstream hashes of job inputs must not depend on how a
number was spelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from ftops.manifest.reader import LocatedDocument, PathKey
from ftops.manifest.rules import Entry
from ftops.resources import (
    AUTO,
    DEFAULT_MARGIN,
    DEFAULT_SKU,
    ActiveModel,
    BackendConfig,
    Baseline,
    Budget,
    ChatPricing,
    Check,
    Dataset,
    DatasetFormat,
    Deployment,
    EvalSuite,
    Gate,
    Hyperparameters,
    Integration,
    Job,
    Method,
    MethodType,
    ProviderConfig,
    ProviderType,
    RubricGrader,
    SourceLocation,
    TrainingKind,
    freeze,
)

DEFAULT_RUBRIC_PROMPT = (
    "You grade one answer of an AI assistant against criteria. Reply with the single word PASS when "
    "the answer meets every criterion, else with the single word FAIL."
)
DEFAULT_PAIRWISE_PROMPT = (
    "You compare two answers of AI assistants to the same question against criteria. Reply with the "
    "single word A when answer A meets the criteria better, B when answer B does, or TIE when they "
    "meet them equally well. The order in which the answers are shown does not matter."
)
_INT_PARAMS = ("n_epochs", "batch_size", "eval_interval", "eval_samples", "n_checkpoints", "n_evals",
               "lora_rank", "lora_alpha")
_FLOAT_PARAMS = ("learning_rate_multiplier", "beta", "compute_multiplier", "learning_rate", "warmup_ratio",
                 "lora_dropout")


def location(doc: LocatedDocument, path: PathKey, root: Path) -> SourceLocation:
    pos = doc.position(path, key=True)
    try:
        file = doc.path.relative_to(root).as_posix()
    except ValueError:
        file = doc.path.as_posix()
    return SourceLocation(file, pos.line, pos.column)


def _frozen_map(items: dict[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(sorted(items.items())))


def hyperparameters(raw: dict[str, Any] | None) -> Hyperparameters:
    values: dict[str, Any] = {}
    for name, value in (raw or {}).items():
        if value == AUTO:
            values[name] = AUTO
        elif name in _INT_PARAMS:
            values[name] = int(value)
        elif name in _FLOAT_PARAMS:
            values[name] = float(value)
        else:
            values[name] = value
    return Hyperparameters(**values)


def method(job: dict[str, Any]) -> Method:
    raw = job.get("method")
    if raw is None:
        return Method("supervised", hyperparameters(job.get("hyperparameters")))
    if isinstance(raw, str):
        return Method(cast(MethodType, raw), hyperparameters(job.get("hyperparameters")))
    grader = raw.get("grader")
    kind = cast(MethodType, raw.get("type", "supervised"))
    frozen_grader = freeze(grader) if grader is not None else None
    training = cast(TrainingKind | None, raw.get("training"))
    return Method(kind, hyperparameters(raw.get("hyperparameters")), frozen_grader, training)


def dataset(entry: Entry, path: Path, root: Path) -> Dataset:
    data = entry.data
    return Dataset(entry.name, path, data["file"], cast(DatasetFormat, data.get("format", "chat")),
                   location(entry.doc, entry.path, root), provider=data.get("provider"))


def eval_suite(entry: Entry, path: Path, root: Path) -> EvalSuite:
    data = entry.data
    raw = data.get("grader")
    grader = RubricGrader(raw["model"], raw.get("prompt", DEFAULT_RUBRIC_PROMPT),
                          raw.get("pairwise_prompt", DEFAULT_PAIRWISE_PROMPT)) if raw else None
    return EvalSuite(entry.name, path, data["file"], samples=int(data.get("samples", 1)),
                     temperature=float(data.get("temperature", 0.0)), seed=int(data.get("seed", 0)),
                     max_tokens=int(data.get("max_tokens", 512)),
                     declared_at=location(entry.doc, entry.path, root),
                     grader=grader)


def job(entry: Entry, root: Path) -> Job:
    data = entry.data
    integrations = tuple(Integration(i["type"], freeze(i[i["type"]])) for i in data.get("integrations", ()))
    return Job(
        name=entry.name,
        model=data["model"],
        training_file=data["training_file"],
        validation_file=data.get("validation_file"),
        method=method(data),
        suffix=data.get("suffix"),
        seed=data.get("seed"),
        metadata=_frozen_map(data.get("metadata") or {}),
        integrations=integrations,
        declared_at=location(entry.doc, entry.path, root),
        provider=data.get("provider"),
    )


def _strings(value: str | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def model(entry: Entry, root: Path, endpoint_project: str | None = None) -> ActiveModel:
    """``endpoint_project``: the Together project id that qualifies endpoint names, on Together."""
    data = entry.data
    checks = tuple(
        Check(
            messages=tuple(freeze(m) for m in check["messages"]),
            contains=_strings(check.get("contains")),
            not_contains=_strings(check.get("not_contains")),
            matches=check.get("matches"),
            equals=check.get("equals"),
            declared_at=location(entry.doc, (*entry.path, "checks", index), root),
        )
        for index, check in enumerate(data.get("checks") or ())
    )
    return ActiveModel(
        name=entry.name,
        job=data.get("job"),
        checks=checks,
        protect=bool(data.get("protect", False)),
        keep_previous=int(data.get("keep_previous", 0)),
        declared_at=location(entry.doc, entry.path, root),
        model=data.get("model"),
        delete_external=bool(data.get("delete_external", False)),
        gate=gate(data.get("gate")),
        provider=data.get("provider"),
        deployment=deployment(entry, root, endpoint_project),
    )


def deployment(entry: Entry, root: Path, endpoint_project: str | None = None) -> Deployment | None:
    raw = entry.data.get("deployment")
    if raw is None:
        return None
    prefix = raw.get("name", entry.name)
    if endpoint_project and "hardware" in raw:
        # A Together endpoint answers to ``<project id>/<name>``: the name applications send.
        prefix = f"{endpoint_project}/{prefix}"
    # On Together (``hardware``/``replicas``, the provider rules keep the two vocabularies apart)
    # the hardware is the neutral deployment type and the replicas its capacity.
    return Deployment(
        prefix=prefix,
        sku=raw.get("hardware", raw.get("sku", DEFAULT_SKU)),
        capacity=int(raw.get("replicas", raw.get("capacity", 1))),
        declared_at=location(entry.doc, (*entry.path, "deployment"), root),
    )


def gate(raw: dict[str, Any] | None) -> Gate | None:
    if raw is None:
        return None
    floor = raw.get("min_score")
    return Gate(tuple(raw["evals"]), None if floor is None else float(floor),
                cast(Baseline, raw.get("no_worse_than", "current")), float(raw.get("margin", DEFAULT_MARGIN)))


def provider(raw: dict[str, Any] | None) -> ProviderConfig:
    raw = raw or {}
    return ProviderConfig(
        type=cast(ProviderType, raw.get("type", "openai")),
        base_url=raw.get("base_url"),
        organization=raw.get("organization"),
        project=raw.get("project"),
        endpoint=raw.get("endpoint"),
        api_version=raw.get("api_version"),
        subscription_id=raw.get("subscription_id"),
        resource_group=raw.get("resource_group"),
        account_name=raw.get("account_name"),
        management_endpoint=raw.get("management_endpoint"),
    )


def providers(docs: list[LocatedDocument]) -> Mapping[str, ProviderConfig]:
    """Every file's ``providers:`` aliases (the rules refuse an alias declared twice)."""
    found: dict[str, ProviderConfig] = {}
    for doc in docs:
        for alias, raw in (doc.data.get("providers") or {}).items():
            found.setdefault(alias, provider(raw))
    return MappingProxyType(dict(sorted(found.items())))


def backend(raw: dict[str, Any] | None) -> BackendConfig:
    raw = dict(raw or {})
    kind = raw.pop("type", "local")
    path = raw.pop("path", BackendConfig().path if kind == "local" else "")
    return BackendConfig(kind, path, _frozen_map(raw))


def budget(doc: LocatedDocument | None, root: Path) -> Budget | None:
    if doc is None:
        return None
    raw = doc.data["budget"]
    amount = raw["max_usd"] if isinstance(raw, dict) else raw
    hosting = raw.get("monthly_hosting") if isinstance(raw, dict) else None
    return Budget(float(amount), location(doc, ("budget",), root),
                  None if hosting is None else float(hosting))


def hosting_pricing(docs: list[LocatedDocument]) -> Mapping[str, float]:
    prices: dict[str, float] = {}
    for doc in docs:
        for model_name, price in (doc.data.get("pricing") or {}).items():
            if isinstance(price, dict) and price.get("hosting") is not None:
                prices[str(model_name)] = float(price["hosting"])
    return MappingProxyType(prices)


def pricing(docs: list[LocatedDocument]) -> Mapping[str, float]:
    """Training prices: ``MODEL: N``, or the ``training`` of ``MODEL: {training: N, ...}``."""
    prices: dict[str, float] = {}
    for doc in docs:
        for model_name, price in (doc.data.get("pricing") or {}).items():
            training = price.get("training") if isinstance(price, dict) else price
            if training is not None:
                prices[model_name] = float(training)
    return _frozen_map(prices)


def chat_pricing(docs: list[LocatedDocument]) -> Mapping[str, ChatPricing]:
    """Chat prices: ``MODEL: {chat: [IN, OUT], fine_tuned_chat: [IN, OUT]}`` (either or both)."""

    def pair(value: Any) -> tuple[float, float] | None:
        return None if value is None else (float(value[0]), float(value[1]))

    prices: dict[str, ChatPricing] = {}
    for doc in docs:
        for model_name, price in (doc.data.get("pricing") or {}).items():
            if isinstance(price, dict) and ("chat" in price or "fine_tuned_chat" in price):
                prices[model_name] = ChatPricing(pair(price.get("chat")), pair(price.get("fine_tuned_chat")))
    return _frozen_map(prices)
