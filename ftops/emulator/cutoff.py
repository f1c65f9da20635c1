"""The job cutoff: the day from which the service creates no new fine-tuning job.

OpenAI announced that new self-serve fine-tuning jobs stop for all customers on
2027-01-06, so that is the default (``--job-cutoff DATE`` or ``none`` changes it;
otherwise ``$FTOPS_JOB_CUTOFF``, the variable ftops's planner reads, so an
in-process emulator and the plan agree). A create on or after that day, by the
emulator's clock (``FTOPS_TODAY`` when set), is answered as the service answers
an organization that may no longer create jobs: 403 ``fine_tuning_not_available``
(the exact words the service will use on that day are not public; the code is the
one it uses for organizations already closed, and the message names the date).
Jobs already created run on, and their models keep answering.

The default must match the ``openai`` and ``emulator`` rows of
``ftops/lifecycle/data/job_cutoffs.json`` (a test checks it); this package does not
import ftops.lifecycle, so the date is repeated here.
"""

from __future__ import annotations

import os
from datetime import date

from ftops.emulator.apierrors import ApiError
from ftops.errors import UsageError

OPENAI_JOB_CUTOFF = "2027-01-06"
CUTOFF_ENV = "FTOPS_JOB_CUTOFF"  # as in ftops.lifecycle.cutoffs


def parse_job_cutoff(text: str, where: str = "--job-cutoff") -> str | None:
    """``YYYY-MM-DD`` (normalised) or ``none`` (no cutoff); a ``UsageError`` otherwise."""
    value = text.strip()
    if value.lower() == "none":
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise UsageError(f"{where} must be a date like 2027-01-06, or none (got {text!r}).") from None


def default_job_cutoff() -> str | None:
    """``$FTOPS_JOB_CUTOFF`` when set, else OpenAI's announced date."""
    override = os.environ.get(CUTOFF_ENV, "").strip()
    return parse_job_cutoff(override, CUTOFF_ENV) if override else OPENAI_JOB_CUTOFF


def creation_refusal(cutoff: str | None, today: str) -> ApiError | None:
    """The answer to a job create on ``today`` (ISO dates compare as strings), or None."""
    if cutoff is None or today < cutoff:
        return None
    return ApiError(
        403,
        f"Fine-tuning job creation is no longer available: new self-serve fine-tuning jobs ended on "
        f"{cutoff}. Existing fine-tuned models keep serving until their base model is shut down.",
        code="fine_tuning_not_available",
    )
