"""What asking a model for answers will cost, estimated before a single request.

Prompt tokens are counted offline (tiktoken, as the service bills them: 3
framing tokens a message and 3 to prime the answer); each answer is counted at
its max_tokens, so the estimate is an upper bound. Prices come from the
manifests' ``pricing`` (``chat`` and ``fine_tuned_chat``, by model id, base model
or family) first, then from a packaged table by family (``data/chat_prices.json``,
dated, each figure with its source, and those no source confirmed listed under
``review``); a model neither lists is asked without an estimate, and the caller
says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final

from ftops.datasets.models import base_model, model_info
from ftops.evals.cases import EvalCase
from ftops.evals.sampling import SamplingParams
from ftops.resources import ChatPricing

ChatPrices = Mapping[str, ChatPricing]  # the manifests' chat prices (``Project.chat_pricing``)

_FRAMING: Final = 3


@dataclass(frozen=True, slots=True)
class CostEstimate:
    requests: int
    prompt_tokens: int
    completion_tokens: int  # at most
    usd: float | None  # None: no price known for the model

    def describe(self) -> str:
        unknown = "cost unknown (no price for this model)"
        cost = f"at most ${self.usd:.4f}" if self.usd is not None else unknown
        return (f"{self.requests} answer(s) to ask, about {self.prompt_tokens:,} prompt tokens and at most "
                f"{self.completion_tokens:,} answer tokens: {cost}")


@cache
def _prices() -> dict[str, Any]:
    text = resources.files("ftops.evals").joinpath("data/chat_prices.json").read_text(encoding="utf-8")
    table: dict[str, Any] = json.loads(text)["usd_per_1m_tokens"]
    return table


def chat_price_table_date() -> str:
    text = resources.files("ftops.evals").joinpath("data/chat_prices.json").read_text(encoding="utf-8")
    return str(json.loads(text)["date"])


def unconfirmed_prices() -> list[str]:
    """``family (base|fine_tuned)`` of every packaged figure that no source confirmed."""
    return [f"{family} ({kind})" for family, entry in sorted(_prices().items()) for kind in entry["review"]]


def price_per_million(model: str, overrides: ChatPrices | None = None) -> tuple[float, float] | None:
    """(input, output) USD per 1M tokens of ``model``'s answers: the manifests' price for the model
    itself, else for what it was fine-tuned from (``fine_tuned_chat``) or its family (``chat``),
    else the packaged table's, by the longest family name the base model starts with."""
    base = base_model(model)
    fine_tuned = base != model
    if overrides:
        own = overrides.get(model)
        if own is not None and own.chat is not None:
            return own.chat
        family = max((name for name in overrides if base == name or base.startswith(name + "-")), key=len,
                     default=None)
        if family is not None:
            found = overrides[family].fine_tuned_chat if fine_tuned else overrides[family].chat
            if found is not None:
                return found
    family = max((name for name in _prices() if base.startswith(name)), key=len, default=None)
    if family is None:
        return None
    entry = _prices()[family]["fine_tuned" if fine_tuned else "base"]
    return float(entry[0]), float(entry[1])


def prompt_tokens(model: str, case: EvalCase) -> int:
    import tiktoken  # loaded only when something is to be estimated

    from ftops.datasets.encodings import get_encoding

    encoding: tiktoken.Encoding = get_encoding(model_info(model).encoding)
    total = _FRAMING
    for message in case.request_messages():
        content = message.get("content")
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        total += _FRAMING + len(encoding.encode(str(message.get("role", "")) + text, disallowed_special=()))
    tools = case.request_tools()
    if tools:
        total += len(encoding.encode(json.dumps(tools), disallowed_special=()))
    return total


def estimate(model: str, work: Iterable[tuple[EvalCase, int]], params: SamplingParams,
             prices: ChatPrices | None = None) -> CostEstimate:
    """``work``: each case and how many answers of it are still to ask; ``prices``: the manifests'."""
    requests = prompt = completion = 0
    for case, answers in work:
        if answers <= 0:
            continue
        requests += answers
        prompt += prompt_tokens(model, case) * answers
        completion += params.max_tokens * answers
    price = price_per_million(model, prices)
    usd = None if price is None else (prompt * price[0] + completion * price[1]) / 1_000_000
    return CostEstimate(requests, prompt, completion, usd if requests else 0.0)


def sum_costs(parts: Iterable[CostEstimate]) -> CostEstimate:
    total = CostEstimate(0, 0, 0, 0.0)
    for part in parts:
        usd = None if total.usd is None or part.usd is None else total.usd + part.usd
        total = CostEstimate(total.requests + part.requests, total.prompt_tokens + part.prompt_tokens,
                             total.completion_tokens + part.completion_tokens, usd)
    return total
