"""Azure OpenAI's names (no SDK). Its jobs and statuses are OpenAI's; its fine-tuned models are
named ``BASE.ft-<hex>`` (and, through an OpenAI-compatible gateway, perhaps ``ft:...``)."""

from __future__ import annotations

import re
from typing import Final

from ftops.provider.openai import naming as openai_naming

JOB_PHASES: Final = openai_naming.JOB_PHASES
JOB_ID_EXAMPLE: Final = openai_naming.JOB_ID_EXAMPLE
_AZURE_FINE_TUNED = re.compile(r"^(?P<base>.+)\.ft-[0-9a-zA-Z]+(?:-[\w-]+)?$")


def base_model_of(model_id: str) -> str | None:
    """``gpt-4o-mini-2024-07-18.ft-0123abcd`` was trained from ``gpt-4o-mini-2024-07-18``."""
    found = _AZURE_FINE_TUNED.match(model_id)
    if found is not None:
        return found.group("base")
    return openai_naming.base_model_of(model_id)


def fine_tuned_example(base: str) -> str:
    """An id of the form a fine-tune of ``base`` gets (for estimates made before it exists)."""
    return f"{base}.ft-candidate"


def looks_like_job_id(text: str) -> bool:
    return openai_naming.looks_like_job_id(text)
