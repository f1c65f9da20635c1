"""Chat prices: the packaged table is dated and sourced, and the manifests' ``pricing`` overrides it."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from ftops.errors import ManifestError
from ftops.evals.costs import chat_price_table_date, price_per_million, unconfirmed_prices
from ftops.manifest import load_project, validate_manifests
from ftops.resources import ChatPricing

FT_MINI = "ft:gpt-4o-mini-2024-07-18:acme:chunsik:abc123"
FT_41 = "ft:gpt-4.1-mini-2025-04-14:acme:chunsik:def456"


def write_project(root: Path, manifest: str) -> Path:
    (root / "manifests").mkdir(parents=True)
    (root / "manifests" / "m.yaml").write_text(manifest, encoding="utf-8")
    return root / "manifests"


def _table() -> dict[str, object]:
    text = resources.files("ftops.evals").joinpath("data/chat_prices.json").read_text(encoding="utf-8")
    table: dict[str, object] = json.loads(text)
    return table


def test_every_packaged_figure_has_a_source_or_is_marked_for_review() -> None:
    table = _table()
    assert chat_price_table_date() == table["date"] == "2026-12-06"
    assert "review" in str(table["_source"]) and "pricing" in str(table["_source"])
    families = table["usd_per_1m_tokens"]
    assert isinstance(families, dict)
    for family, entry in families.items():
        for kind in ("base", "fine_tuned"):
            source = entry["sources"][kind]
            assert (source is None) == (kind in entry["review"]), (family, kind)
            assert source is None or source.strip(), (family, kind)
    assert "gpt-4.1-mini (fine_tuned)" in unconfirmed_prices()
    assert "gpt-4o-mini (fine_tuned)" not in unconfirmed_prices()


def test_the_packaged_table_prices_base_and_fine_tuned_models_by_family() -> None:
    assert price_per_million("gpt-4o-mini-2024-07-18") == (0.15, 0.6)
    assert price_per_million(FT_MINI) == (0.3, 1.2)
    assert price_per_million("gpt-4.1-mini-2025-04-14") == (0.4, 1.6)
    assert price_per_million("llama-3-8b") is None


def test_the_manifests_chat_prices_win_by_model_then_family() -> None:
    overrides = {
        FT_MINI: ChatPricing(chat=(9.0, 9.5)),
        "gpt-4o-mini": ChatPricing(chat=(0.2, 0.7), fine_tuned_chat=(0.4, 1.4)),
        "gpt-4.1-mini-2025-04-14": ChatPricing(chat=(0.5, 2.0)),
    }
    assert price_per_million(FT_MINI, overrides) == (9.0, 9.5)  # the model itself
    assert price_per_million(FT_MINI.replace("abc123", "zzz"), overrides) == (0.4, 1.4)  # its base's family
    assert price_per_million("gpt-4o-mini-2024-07-18", overrides) == (0.2, 0.7)
    # No fine_tuned_chat for gpt-4.1-mini: its fine-tunes keep the packaged price.
    assert price_per_million(FT_41, overrides) == (0.8, 3.2)
    assert price_per_million("gpt-4.1-mini-2025-04-14", overrides) == (0.5, 2.0)
    assert price_per_million("gpt-4o-2024-08-06", overrides) == (2.5, 10.0)


def test_pricing_in_the_manifests_gives_chat_and_training_prices(tmp_path: Path) -> None:
    manifests = write_project(tmp_path / "p", (
        "project: p\npricing:\n"
        "  gpt-4o-mini-2024-07-18: {training: 3.5, chat: [0.2, 0.7], fine_tuned_chat: [0.4, 1.4]}\n"
        "  gpt-4.1-mini-2025-04-14: 5\n"
        f"  '{FT_41}': {{chat: [1, 4]}}\n"))
    project = load_project(manifests)
    assert dict(project.pricing) == {"gpt-4o-mini-2024-07-18": 3.5, "gpt-4.1-mini-2025-04-14": 5.0}
    assert dict(project.chat_pricing) == {
        "gpt-4o-mini-2024-07-18": ChatPricing((0.2, 0.7), (0.4, 1.4)), FT_41: ChatPricing((1.0, 4.0), None)}
    assert price_per_million(FT_MINI, project.chat_pricing) == (0.4, 1.4)
    assert price_per_million(FT_41, project.chat_pricing) == (1.0, 4.0)


@pytest.mark.parametrize("price", ["{chat: [1]}", "{chat: [-1, 2]}", "{fine_tuned: [1, 2]}", "{}", "0"])
def test_a_malformed_price_is_refused_at_its_line(tmp_path: Path, price: str) -> None:
    manifests = write_project(tmp_path / "p", f"project: p\npricing:\n  gpt-4o-mini-2024-07-18: {price}\n")
    _, diagnostics = validate_manifests(manifests)
    errors = [d for d in diagnostics if d.severity == "error"]
    assert errors and errors[0].line == 3
    assert "pricing" in errors[0].path
    with pytest.raises(ManifestError):
        load_project(manifests)
