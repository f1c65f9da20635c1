"""What a base model means for a dataset: its encoding, its training token limit, its price.

All three are data (``data/models.json`` and the dated ``data/prices.json``), each
with the page it was taken from; this module only looks them up.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final

from ftops.datasets.report import CostEstimate, TrainingTerms

# The service's rule for ``n_epochs: auto`` (as published in OpenAI's cookbook,
# Chat_finetuning_data_prep): aim at 3 epochs, but at least 100 and at most
# 25,000 example-passes, and between 1 and 25 epochs.
TARGET_EPOCHS: Final = 3
MIN_TARGET_EXAMPLES: Final = 100
MAX_TARGET_EXAMPLES: Final = 25_000
MIN_DEFAULT_EPOCHS: Final = 1
MAX_DEFAULT_EPOCHS: Final = 25
TOGETHER_DEFAULT_EPOCHS: Final = 1  # its create request's default n_epochs


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str  # as given
    base: str  # the base model (a fine-tuned id, in any known provider's form, resolves to it)
    family: str | None  # the matching entry of models.json, None when unknown
    encoding: str
    token_limit: int | None  # per training example; None when unknown


def base_model(model: str) -> str:
    """The base model training continues from: ``ft:gpt-4o-mini-2024-07-18:org:suffix:id`` (or
    Azure's ``gpt-4o-mini-2024-07-18.ft-<hex>``) continues ``gpt-4o-mini-2024-07-18``. Offline,
    the provider is not opened, so every known provider's naming is asked."""
    from ftops.provider.registry import base_model_of_any

    return base_model_of_any(model) or model


@cache
def _models_table() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_read_data("models.json"))
    return data


@cache
def _price_table() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_read_data("prices.json"))
    return data


def _read_data(name: str) -> str:
    return resources.files("ftops.datasets").joinpath("data", name).read_text(encoding="utf-8")


def _family(base: str, names: Mapping[str, Any] | set[str]) -> str | None:
    """The longest family name that ``base`` equals or extends with ``-``."""
    best: str | None = None
    for name in names:
        if (base == name or base.startswith(name + "-")) and (best is None or len(name) > len(best)):
            best = name
    return best


def model_info(model: str | None) -> ModelInfo:
    table = _models_table()
    if model is None:
        return ModelInfo("", "", None, str(table["default_encoding"]), None)
    base = base_model(model)
    families: dict[str, Any] = table["families"]
    family = _family(base, families)
    if family is None:
        return ModelInfo(model, base, None, str(table["default_encoding"]), None)
    entry = families[family]
    limit = entry["token_limit"]
    return ModelInfo(model, base, family, str(entry["encoding"]), int(limit) if limit is not None else None)


def price_table_date() -> str:
    return str(_price_table()["date"])


@cache
def _together_table() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_read_data("together_prices.json"))
    return data


def together_price(model: str, method: str, training: str | None) -> float | None:
    """USD per 1M tokens of a Together job: by the base model's size band, the method (SFT or
    DPO) and the training kind (LoRA unless full). None for a model whose size ftops does not know."""
    from ftops.provider.together.models import MODELS

    limits = MODELS.get(model)
    if limits is None:
        return None
    key = f"{training or 'lora'}_{'dpo' if method == 'dpo' else 'sft'}"
    for band in _together_table()["bands"]:
        if limits.billions_of_parameters <= float(band["max_billions"]):
            return float(band["usd_per_1m_tokens"][key])
    return None


def together_minimum_usd() -> float:
    return float(_together_table()["minimum_usd"])


def default_epochs(n_examples: int, terms: TrainingTerms | None = None) -> int:
    """The epochs a job trains when it does not say: Together's default is 1, OpenAI's ``auto``."""
    return TOGETHER_DEFAULT_EPOCHS if terms is not None and terms.together else auto_epochs(n_examples)


def auto_epochs(n_examples: int) -> int:
    """The number of epochs the service picks for ``n_epochs: auto``."""
    if n_examples <= 0:
        return TARGET_EPOCHS
    if n_examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n_examples)
    if n_examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        return max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_examples)
    return TARGET_EPOCHS


def estimate_cost(
    billed_tokens: int,
    n_epochs: int,
    model: str,
    pricing: Mapping[str, float] | None = None,
    terms: TrainingTerms | None = None,
    extra_tokens: int = 0,
) -> CostEstimate:
    """Training cost = (billed tokens x epochs + ``extra_tokens``) x the price per 1M tokens.

    The manifests' ``pricing`` wins over the packaged tables; it is matched on the exact
    model name first, then on its base model, then on its family (longest prefix). The
    packaged table is OpenAI's by model, or for Together (``terms``) its table by model size,
    method and LoRA/full, whose minimum charge applies. ``extra_tokens``: tokens billed beside
    the epochs (Together's evaluations on the validation file). With no price known, ``usd``
    and ``usd_per_1m_tokens`` are None.
    """
    training_tokens = billed_tokens * n_epochs + extra_tokens
    base = base_model(model)
    price = _lookup(pricing or {}, model, base)
    if price is not None:
        return _priced(model, price, training_tokens, None, "manifest pricing")
    if terms is not None and terms.together:
        date = str(_together_table()["date"])
        price = together_price(base, terms.method, terms.training)
        if price is None:
            return CostEstimate(model, None, training_tokens, None, date, "unknown")
        return _priced(model, price, training_tokens, date, "package table", together_minimum_usd())
    table: dict[str, float] = _price_table()["usd_per_1m_training_tokens"]
    price = _lookup(table, model, base)
    if price is not None:
        return _priced(model, price, training_tokens, price_table_date(), "package table")
    return CostEstimate(
        model=model,
        usd_per_1m_tokens=None,
        training_tokens=training_tokens,
        usd=None,
        price_table_date=price_table_date(),
        source="unknown",
    )


def _priced(model: str, price: float, tokens: int, date: str | None, source: str,
            minimum: float = 0.0) -> CostEstimate:
    usd = max(minimum, round(tokens * price / 1_000_000, 6))
    return CostEstimate(model=model, usd_per_1m_tokens=price, training_tokens=tokens, usd=usd,
                        price_table_date=date, source=source)


def _lookup(prices: Mapping[str, float], model: str, base: str) -> float | None:
    for key in (model, base):
        if key in prices:
            return float(prices[key])
    family = _family(base, set(prices))
    return float(prices[family]) if family is not None else None
