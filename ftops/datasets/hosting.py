"""What a deployment costs by the hour: the packaged, dated table (``data/hosting_prices.json``,
figures marked unconfirmed) or the manifests' ``pricing: {MODEL: {hosting: USD per hour}}``.

A price is per deployment and hour, by deployment type (sku) and base model: a fine-tuned model
is matched on its own id, then its base model, then its family (the longest prefix), as training
prices are. Capacity does not change the hourly hosting charge of a Standard deployment. A
Together dedicated endpoint is priced by its hardware (``together_hardware`` in the table, per
replica-hour) times its replicas, whatever the model.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ftops.datasets.models import base_model


@dataclass(frozen=True, slots=True)
class HostingPrice:
    usd_per_hour: float
    source: str  # "manifests" or "table YYYY-MM-DD (unconfirmed)"


@cache
def _table() -> dict[str, Any]:
    text = (
        resources.files("ftops.datasets").joinpath("data", "hosting_prices.json").read_text(encoding="utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


def table_date() -> str:
    """The tables' dates: Azure's deployments, Together's hardware."""
    return f"{_table()['date']} (Azure), {_table()['together_hardware']['date']} (Together hardware)"


def _match(model: str, prices: Mapping[str, float]) -> float | None:
    if model in prices:
        return prices[model]
    base = base_model(model)
    if base in prices:
        return prices[base]
    best: str | None = None
    for name in prices:
        if base.startswith(name + "-") and (best is None or len(name) > len(best)):
            best = name
    return prices[best] if best is not None else None


def hosting_price(
    model: str, sku: str, overrides: Mapping[str, float] | None = None, capacity: int = 1
) -> HostingPrice | None:
    """The hourly price of a deployment of ``model`` with deployment type ``sku``, or None. A
    Together hardware id as ``sku`` is priced per replica (``capacity``), override included."""
    hardware = _table()["together_hardware"]
    per_replica = hardware["usd_per_replica_hour"]
    if sku in per_replica:
        found = _match(model, overrides) if overrides else None
        if found is not None:
            return HostingPrice(found * capacity, "manifests")
        confirmed = "" if hardware.get("confirmed") else " (unconfirmed)"
        return HostingPrice(float(per_replica[sku]) * capacity, f"table {hardware['date']}{confirmed}")
    if overrides:
        found = _match(model, overrides)
        if found is not None:
            return HostingPrice(found, "manifests")
    table = _table()
    by_sku: dict[str, dict[str, float]] = table["usd_per_hour"]
    sku_prices = next((prices for name, prices in by_sku.items() if name.lower() == sku.lower()), None)
    if sku_prices is None:
        return None
    found = _match(model, sku_prices)
    if found is None:
        return None
    confirmed = "" if table.get("confirmed") else " (unconfirmed)"
    return HostingPrice(found, f"table {table['date']}{confirmed}")
