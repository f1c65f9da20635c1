"""OpenAI's names and words, as plain data and pure functions (no SDK: offline code may use them).

Fine-tuned models are named ``ft:BASE:org:suffix:id``, jobs ``ftjob-...``; job statuses
are read into ftops's phases here and nowhere else.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from ftops.provider.types import JobPhase

JOB_ID_PREFIX: Final = "ftjob-"
JOB_ID_EXAMPLE: Final = "ftjob-..."
FINE_TUNED_PREFIX: Final = "ft:"

JOB_PHASES: Final = MappingProxyType({
    "validating_files": JobPhase.VALIDATING,
    "queued": JobPhase.QUEUED,
    "running": JobPhase.RUNNING,
    "pausing": JobPhase.PAUSED,
    "paused": JobPhase.PAUSED,
    "succeeded": JobPhase.SUCCEEDED,
    "failed": JobPhase.FAILED,
    "cancelled": JobPhase.CANCELLED,
})


def base_model_of(model_id: str) -> str | None:
    """``ft:gpt-4o-mini-2024-07-18:org:suffix:id`` was trained from ``gpt-4o-mini-2024-07-18``."""
    if not model_id.startswith(FINE_TUNED_PREFIX):
        return None
    base = model_id[len(FINE_TUNED_PREFIX):].split(":", 1)[0]
    return base or None


def fine_tuned_example(base: str) -> str:
    """An id of the form a fine-tune of ``base`` gets (for estimates made before it exists)."""
    return f"{FINE_TUNED_PREFIX}{base}:candidate"


def looks_like_job_id(text: str) -> bool:
    return text.startswith(JOB_ID_PREFIX) and len(text) > len(JOB_ID_PREFIX)
