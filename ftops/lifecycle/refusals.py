"""The service's answers that end a fine-tuning job before it trains, each explained in one
line: what caused it and what to do. Keyed by the ``code`` the service sends (in the error
body of a refused create, or in ``job.error`` of a job that failed before training).

The provider's error mapping and the executor use ``explain``; an unknown code gets
``None`` and the caller keeps the service's own message. Codes, texts and sources are
listed in docs/lifecycle.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Explanation:
    code: str
    cause: str
    remedy: str

    def line(self) -> str:
        return f"{self.cause} ({self.code}): {self.remedy}"


_TABLE: Final = (
    Explanation(
        "fine_tuning_not_available",
        "this organization has no fine-tuning access",
        "ask an owner of the organization to check its fine-tuning access in the provider's "
        "settings (OpenAI closed self-serve job creation to organizations in stages in 2026); "
        "models already trained keep serving until their base model shuts down",
    ),
    Explanation(
        "model_not_available",
        "the base model cannot be fine-tuned",
        "it is shut down, not offered for fine-tuning, or not open to this organization; change "
        "the job's model to a fine-tunable successor (see docs/lifecycle.md) and plan again",
    ),
    Explanation(
        "invalid_method_for_model",
        "the base model does not take this fine-tuning method",
        "change the job's method, or its model to one that supports that method",
    ),
    Explanation(
        "daily_rate_limit_exceeded",
        "the organization's daily quota of fine-tuning jobs for this model is used up",
        "nothing was created; apply again once jobs created in the last 24 hours fall out of the "
        "quota, or ask the provider for a higher limit",
    ),
    Explanation(
        "invalid_training_file",
        "the training file failed the service's validation",
        "run `ftops validate` to check the datasets offline, fix the file and apply again "
        "(a changed file is uploaded anew and trains a new job; `--replace` retries an unchanged one)",
    ),
    Explanation(
        "invalid_validation_file",
        "the validation file failed the service's validation",
        "run `ftops validate` to check the datasets offline, fix the file and apply again",
    ),
)
REFUSALS: Final = {refusal.code: refusal for refusal in _TABLE}


def explain(code: str | None) -> str | None:
    """``cause (code): what to do`` for a known refusal code, else None."""
    refusal = REFUSALS.get(code or "")
    return refusal.line() if refusal else None
