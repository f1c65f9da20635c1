from __future__ import annotations

import pytest

from ftops.datasets import auto_epochs, estimate_cost
from ftops.datasets.models import model_info, price_table_date


@pytest.mark.parametrize(
    ("examples", "epochs"),
    [
        (1, 25),
        (10, 10),
        (20, 5),
        (33, 3),
        (34, 3),
        (100, 3),
        (8333, 3),
        (8334, 2),
        (12_500, 2),
        (25_000, 1),
        (1_000_000, 1),
    ],
)
def test_auto_epochs_follows_the_service_rule(examples: int, epochs: int) -> None:
    assert auto_epochs(examples) == epochs


@pytest.mark.parametrize(
    ("model", "encoding", "limit"),
    [
        ("gpt-4o-mini-2024-07-18", "o200k_base", 65536),
        ("gpt-4.1-nano-2025-04-14", "o200k_base", 65536),
        ("ft:gpt-4o-2024-08-06:acme:chunsik:abc123", "o200k_base", 65536),
        ("gpt-3.5-turbo-0125", "cl100k_base", 16385),
        ("gpt-3.5-turbo-0613", "cl100k_base", 4096),
        ("gpt-4-0613", "cl100k_base", 8192),
        ("o4-mini-2025-04-16", "o200k_base", None),
        ("some-future-model", "o200k_base", None),
    ],
)
def test_model_info(model: str, encoding: str, limit: int | None) -> None:
    info = model_info(model)
    assert (info.encoding, info.token_limit) == (encoding, limit)


def test_cost_from_the_dated_table() -> None:
    cost = estimate_cost(1_000_000, 3, "gpt-4o-mini-2024-07-18")
    assert (
        cost.usd_per_1m_tokens == 3.0 and cost.training_tokens == 3_000_000 and cost.usd == pytest.approx(9.0)
    )
    assert cost.source == "package table" and cost.price_table_date == price_table_date() == "2025-06-01"
    assert estimate_cost(2_000_000, 1, "ft:gpt-4.1-2025-04-14:org:x:y").usd == pytest.approx(50.0)


def test_manifest_pricing_wins_and_unknown_models_have_no_price() -> None:
    cost = estimate_cost(500_000, 2, "gpt-4o-mini-2024-07-18", {"gpt-4o-mini": 2.0})
    assert (cost.usd, cost.source, cost.price_table_date) == (pytest.approx(2.0), "manifest pricing", None)
    exact = estimate_cost(
        1_000_000, 1, "gpt-4o-mini-2024-07-18", {"gpt-4o-mini-2024-07-18": 1.0, "gpt-4o": 9.0}
    )
    assert exact.usd == pytest.approx(1.0)
    unknown = estimate_cost(1_000_000, 1, "o4-mini-2025-04-16")
    assert unknown.usd is None and unknown.usd_per_1m_tokens is None and unknown.source == "unknown"
