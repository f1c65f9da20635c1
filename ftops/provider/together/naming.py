"""Together AI's names and words, as plain data and pure functions (no SDK: offline code may use them).

Jobs are named ``ft-<uuid>``; a fine-tuned model is named by the service
``<account>/<base model's short name>[-<suffix>]-<hash>`` (the account and hash are the
service's; the spec gives no rule, so only the base is read out of it, and only for base
models this table knows). Job statuses are read into ftops's phases here and nowhere else.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from ftops.provider.types import JobPhase

JOB_ID_PREFIX: Final = "ft-"
JOB_ID_EXAMPLE: Final = "ft-..."

# Together's job statuses (its spec's FinetuneJobStatus, plus the SDK's ``user_error``).
# ``cancel_requested`` is still running: it may spend money until the service stops it.
JOB_PHASES: Final = MappingProxyType({
    "pending": JobPhase.VALIDATING,
    "queued": JobPhase.QUEUED,
    "running": JobPhase.RUNNING,
    "compressing": JobPhase.RUNNING,
    "uploading": JobPhase.RUNNING,
    "cancel_requested": JobPhase.RUNNING,
    "cancelled": JobPhase.CANCELLED,
    "error": JobPhase.FAILED,
    "user_error": JobPhase.FAILED,
    "completed": JobPhase.SUCCEEDED,
})

# Open-weight models Together fine-tunes (its fine-tuning models page, 2026-11), by full name.
BASE_MODELS: Final = (
    "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference",
    "meta-llama/Meta-Llama-3.1-70B-Instruct-Reference",
    "meta-llama/Llama-3.2-3B-Instruct",
    "Qwen/Qwen2.5-7B-Instruct",
    "Qwen/Qwen2.5-14B-Instruct",
    "mistralai/Mistral-7B-Instruct-v0.2",
)
_BY_SHORT_NAME: Final = MappingProxyType({name.rsplit("/", 1)[-1]: name for name in BASE_MODELS})


def base_model_of(model_id: str) -> str | None:
    """``acme/Qwen2.5-7B-Instruct-chunsik-1a2b3c4d`` was trained from ``Qwen/Qwen2.5-7B-Instruct``.

    None for a base model itself, and for a name whose base this table does not know (the
    adapter then asks the service, which knows each job's base)."""
    if model_id in BASE_MODELS or "/" not in model_id:
        return None
    tail = model_id.split("/", 1)[1]
    # The longest known short name that starts the tail and is followed by "-": short names
    # may prefix one another (Qwen2.5-7B-Instruct, Qwen2.5-7B-Instruct-Turbo).
    best: str | None = None
    for short, full in _BY_SHORT_NAME.items():
        if tail.startswith(short + "-") and (best is None or len(short) > len(best.rsplit("/", 1)[-1])):
            best = full
    return best


def fine_tuned_example(base: str) -> str:
    """An id of the form a fine-tune of ``base`` gets (for estimates made before it exists)."""
    return f"account/{base.rsplit('/', 1)[-1]}-candidate-00000000"


def looks_like_job_id(text: str) -> bool:
    return text.startswith(JOB_ID_PREFIX) and len(text) > len(JOB_ID_PREFIX)
