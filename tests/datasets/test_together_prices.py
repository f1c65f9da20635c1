"""Together's packaged price table: a job's estimate by hand, by size band, method and LoRA/full."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from ftops.datasets import TrainingTerms, estimate_cost


def _table() -> dict[str, object]:
    data: dict[str, object] = json.loads(
        resources.files("ftops.datasets").joinpath("data", "together_prices.json").read_text("utf-8"))
    return data


def test_the_table_is_dated_sourced_and_marked_for_review() -> None:
    table = _table()
    assert table["date"] == "2026-12-06"
    assert "docs.together.ai/docs/fine-tuning-pricing" in str(table["_source"])
    assert "could not be read" in str(table["_source"]) and table["review"]
    assert table["minimum_usd"] == 0.0  # "no minimum price for fine-tuning jobs"


@pytest.mark.parametrize(
    ("model", "method", "training", "per_million"),
    [
        ("Qwen/Qwen2.5-7B-Instruct", "supervised", None, 0.48),  # 7.6B: up to 16B, LoRA by default
        ("Qwen/Qwen2.5-7B-Instruct", "supervised", "full", 0.54),
        ("Qwen/Qwen2.5-14B-Instruct", "dpo", "lora", 1.2),  # 14.8B: still up to 16B
        ("Qwen/Qwen2.5-14B-Instruct", "dpo", "full", 1.35),
        ("meta-llama/Meta-Llama-3.1-70B-Instruct-Reference", "supervised", "lora", 2.9),  # 70.6B
        ("meta-llama/Meta-Llama-3.1-70B-Instruct-Reference", "dpo", None, 7.25),
    ],
)
def test_a_jobs_estimate_by_hand(model: str, method: str, training: str | None, per_million: float) -> None:
    # 250,000 billed tokens x 4 epochs = 1,000,000 tokens: the price is the rate itself
    cost = estimate_cost(250_000, 4, model, terms=TrainingTerms("together", method, training))
    assert cost.training_tokens == 1_000_000
    assert cost.usd_per_1m_tokens == per_million
    assert cost.usd == pytest.approx(per_million)
    assert cost.source == "package table" and cost.price_table_date == "2026-12-06"


def test_evaluations_are_billed_beside_the_epochs() -> None:
    # 3 epochs of 100,000 tokens + 5 evaluations of a 20,000-token validation file, at $0.48/1M
    cost = estimate_cost(100_000, 3, "Qwen/Qwen2.5-7B-Instruct", terms=TrainingTerms("together"),
                         extra_tokens=5 * 20_000)
    assert cost.training_tokens == 400_000
    assert cost.usd == pytest.approx(0.192)


def test_manifest_pricing_overrides_the_table_and_unknown_models_have_no_price() -> None:
    terms = TrainingTerms("together")
    cost = estimate_cost(1_000_000, 1, "Qwen/Qwen2.5-7B-Instruct", {"Qwen/Qwen2.5-7B-Instruct": 2.0}, terms)
    assert (cost.usd, cost.source) == (2.0, "manifest pricing")
    unknown = estimate_cost(1_000_000, 1, "acme/Unknown-9B", terms=terms)
    assert unknown.usd is None and unknown.source == "unknown"


def test_a_together_model_is_not_priced_from_openais_table() -> None:
    # without Together's terms the OpenAI table (by model name) has no price for it
    assert estimate_cost(1_000_000, 1, "Qwen/Qwen2.5-7B-Instruct").usd is None
