"""The date after which a provider accepts no new fine-tuning job, from packaged data.

OpenAI announced one (2027-01-06); Azure none. The planner refuses a job it would create
on or after the cutoff, and warns inside the shutdown warning window, so the refusal
comes from ``ftops plan``, not from the service halfway through an apply.

Which table row applies: the provider's type; but an ``openai`` provider whose
``base_url`` is not OpenAI's own API (a proxy, a gateway, the emulator) is not assumed
to be OpenAI, since nothing says its jobs end with OpenAI's. ``FTOPS_JOB_CUTOFF``
(YYYY-MM-DD, or ``none``) overrides the table for one run either way, e.g. to rehearse
the cutoff against the emulator, or to apply OpenAI's date through a proxy.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlparse

from ftops.errors import UsageError

CUTOFF_ENV = "FTOPS_JOB_CUTOFF"
_OPENAI_API_HOST = "api.openai.com"


@dataclass(frozen=True, slots=True)
class JobCutoff:
    provider: str  # the table row, or the environment variable's name
    date: date | None  # None: no cutoff known
    source: str  # where the date comes from, for messages and docs


@cache
def _table() -> dict[str, Any]:
    text = resources.files("ftops.lifecycle").joinpath("data", "job_cutoffs.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def table_row(kind: str) -> JobCutoff:
    """The packaged cutoff of a provider kind (``openai``, ``azure``, ``emulator``)."""
    row = _table().get(kind)
    if not isinstance(row, dict):
        return JobCutoff(kind, None, "no cutoff is recorded for this provider")
    raw = row.get("job_cutoff")
    return JobCutoff(kind, date.fromisoformat(raw) if raw else None, str(row.get("source", "")))


def _is_openai_api(base_url: str | None) -> bool:
    return base_url is None or urlparse(base_url).hostname == _OPENAI_API_HOST


def job_cutoff(provider_type: str, base_url: str | None, environ: dict[str, str] | None = None) -> JobCutoff:
    """The cutoff for jobs sent to this provider: ``FTOPS_JOB_CUTOFF``, else the table's."""
    env = os.environ if environ is None else environ
    override = env.get(CUTOFF_ENV, "").strip()
    if override:
        if override.lower() == "none":
            return JobCutoff(CUTOFF_ENV, None, f"{CUTOFF_ENV}=none")
        try:
            return JobCutoff(CUTOFF_ENV, date.fromisoformat(override), f"{CUTOFF_ENV}={override}")
        except ValueError:
            raise UsageError(
                f"{CUTOFF_ENV} must be a date like 2027-01-06, or none (got {override!r})."
            ) from None
    if provider_type == "openai" and not _is_openai_api(base_url):
        return JobCutoff(
            provider_type, None, f"base_url {base_url} is not OpenAI's API; set {CUTOFF_ENV} to apply one"
        )
    return table_row(provider_type)
