"""Which base models a provider fine-tunes, from packaged data (``data/base_models.json``).

Used twice, before anything is uploaded: offline by ``ftops validate`` where the
catalogue can be sure, and by the planner beside the account's models listing.

What it can be sure of: a name it lists as not fine-tunable (``gpt-5-mini``) is refused
for any ``openai`` or ``emulator`` provider. A name it does not know at all is refused
only for OpenAI's own API and the emulator (OpenAI's list of fine-tunable models no
longer grows: it accepts no new jobs after 2027-01-06); behind another ``base_url`` (a
gateway, another service) the account's models listing decides, at plan time. Azure
names its models differently (``gpt-35-turbo-0125``) and fine-tunes models OpenAI does
not: it has no catalogue, and only its listing decides. Together's catalogue is the base
models its pure names list (``ftops.provider.together.naming``), never complete.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final
from urllib.parse import urlparse

_OPENAI_API_HOST: Final = "api.openai.com"
_DATE_SUFFIX: Final = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})$")  # -2025-04-14, or -0125


@dataclass(frozen=True, slots=True)
class Catalogue:
    provider: str  # the table row
    fine_tunable: frozenset[str]
    not_fine_tunable: frozenset[str]
    source: str
    complete: bool  # a name it does not know is certainly not fine-tunable here

    def offline_problem(self, model: str) -> str | None:
        """Why a job cannot train on ``model``, when this catalogue is sure of it; else None.
        A fine-tuned model (``ft:...``, or another provider's form) is never judged here: only
        the account knows it."""
        from ftops.provider.registry import base_model_of_any  # here: the provider imports lifecycle

        if base_model_of_any(model) is not None or model in self.fine_tunable:
            return None
        if model in self.not_fine_tunable:
            closest = did_you_mean(model, self.fine_tunable, "the closest that can")
            return f"{model!r} cannot be fine-tuned{closest}"
        if not self.complete:
            return None
        return f"{model!r} is not a model {self.provider} fine-tunes{did_you_mean(model, self.fine_tunable)}"


@cache
def _table() -> dict[str, Any]:
    text = resources.files("ftops.lifecycle").joinpath("data", "base_models.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def catalogue_for(provider_type: str, base_url: str | None = None) -> Catalogue | None:
    """The catalogue that applies to jobs sent to this provider, or None (see the module's docstring)."""
    if provider_type == "together":
        return _together()
    row = _table().get("openai" if provider_type in ("openai", "emulator") else provider_type)
    if not isinstance(row, dict):
        return None
    own_api = base_url is None or urlparse(base_url).hostname == _OPENAI_API_HOST
    return Catalogue(
        provider="OpenAI" if provider_type == "openai" else provider_type,
        fine_tunable=frozenset(row["fine_tunable"]),
        not_fine_tunable=frozenset(row["not_fine_tunable"]),
        source=str(row.get("source", "")),
        complete=provider_type == "emulator" or own_api,
    )


def _together() -> Catalogue:
    """Together fine-tunes more open-weight models than ftops lists, and adds more: its catalogue
    is never complete, so it refuses nothing offline by itself (the validator's per-provider rules
    refuse a name that cannot be one of Together's); at plan time it keeps the suggestions for a
    model the account does not list to the models Together fine-tunes."""
    from ftops.provider.together.naming import BASE_MODELS  # here: the provider imports lifecycle

    return Catalogue(provider="Together AI", fine_tunable=frozenset(BASE_MODELS),
                     not_fine_tunable=frozenset(), source="ftops.provider.together.naming", complete=False)


def closest_names(word: str, names: Iterable[str], limit: int = 2) -> tuple[str, ...]:
    """The names closest to ``word``, each as its dated snapshot when one is among ``names``
    (a job should pin the snapshot it trains: ``gpt-4.1-mnii`` suggests
    ``gpt-4.1-mini-2025-04-14``)."""
    families: dict[str, list[str]] = {}
    for name in names:
        families.setdefault(_DATE_SUFFIX.sub("", name), []).append(name)
    matches = difflib.get_close_matches(_DATE_SUFFIX.sub("", word), list(families), n=limit, cutoff=0.6)
    return tuple(max(families[family], key=lambda n: (n != family, n)) for family in matches)


def did_you_mean(word: str, names: Iterable[str], lead: str = "did you mean") -> str:
    """``"; did you mean 'x'?"`` (or ``'x' or 'y'``) for the closest names, or ``""``; with
    another ``lead``, ``"; LEAD: 'x' or 'y'"``."""
    close = closest_names(word, names)
    if not close:
        return ""
    listed = " or ".join(repr(name) for name in close)
    return f"; did you mean {listed}?" if lead == "did you mean" else f"; {lead}: {listed}"
