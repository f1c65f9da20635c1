"""Refresh a project on several providers: one set of listings per alias, and what they teach
each part's records (job progress, older uploads and models gone).

Model names are not any one part's: a name that moved may still hold, as an earlier model, one
that the old provider lists. Its records are refreshed against every provider's models listing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ftops.multi.partition import in_view, is_model_key, to_state, view
from ftops.plan.observed import Observed, ObservedModel
from ftops.provider.base import FineTuningProvider
from ftops.provider.refresh import refresh

Resources = Mapping[str, Any]
Learn = Callable[[Resources, Observed], dict[str, Any]]  # ftops.plan.bookkeeping's refresh rules


def refresh_each(providers: Mapping[str, FineTuningProvider], project: str) -> dict[str, Observed]:
    """Every alias's account, each read in full (files, this project's jobs, models)."""
    return {alias: refresh(provider, project) for alias, provider in providers.items()}


def every_model(observed: Mapping[str, Observed]) -> dict[str, ObservedModel]:
    out: dict[str, ObservedModel] = {}
    for seen in observed.values():
        for model_id, model in seen.models.items():
            out.setdefault(model_id, model)
    return out


def learn_each(resources: Resources, observed: Mapping[str, Observed], learn: Learn) -> dict[str, Any]:
    """``learn`` (``refresh_records`` or ``forget_vanished``) applied to each alias's part with
    its own listings, and to the model names with every provider's models."""
    out = dict(resources)
    for alias, seen in observed.items():
        part = {k: v for k, v in view(out, alias).items() if not is_model_key(k)}
        learned = learn(part, seen)
        out = {k: v for k, v in out.items() if is_model_key(k) or not in_view(k, alias)}
        out.update((to_state(k, alias), v) for k, v in learned.items())
    names = {k: v for k, v in out.items() if is_model_key(k)}
    if not names:
        return out
    rest = {k: v for k, v in out.items() if not is_model_key(k)}
    return rest | learn(names, Observed(models=every_model(observed)))
