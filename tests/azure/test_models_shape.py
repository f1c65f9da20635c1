"""Azure's models listing carries its lifecycle as ``deprecation`` (unix seconds): read as the
shutdown date ftops warns about; odd values are ignored, never raised on."""

from __future__ import annotations

from typing import Any

import pytest

from ftops.provider.openai.convert import observed_model


class Obj(dict[str, Any]):
    def __getattr__(self, name: str) -> Any:
        try:
            value = self[name]
        except KeyError:
            raise AttributeError(name) from None
        return Obj(value) if isinstance(value, dict) else value


def test_an_azure_model_gets_its_inference_retirement_as_shutdown_date() -> None:
    model = observed_model(Obj({"id": "gpt-4.1-mini-2025-04-14", "object": "model", "created_at": 1744588800,
                                "deprecation": {"fine_tune": 1799884800, "inference": 1799884800}}))
    assert model.shutdown_date == "2027-01-14" and model.created == 1744588800


def test_an_openai_shutdown_date_wins() -> None:
    model = observed_model(Obj({"id": "m", "created": 5, "shutdown_date": "2026-12-01",
                                "deprecation": {"inference": 1799884800}}))
    assert model.shutdown_date == "2026-12-01" and model.created == 5


@pytest.mark.parametrize("deprecation", [None, {}, {"inference": None}, {"inference": "soon"},
                                         {"inference": True}, {"inference": -3}, {"inference": 10**20}])
def test_odd_deprecation_values_give_no_date(deprecation: Any) -> None:
    assert observed_model(Obj({"id": "m", "deprecation": deprecation})).shutdown_date is None
