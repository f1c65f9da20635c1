"""The service's refusals that end a job before it trains, switched on at start for tests.

``--refuse KIND[:MODEL]`` (``EmulatorConfig.refusals``); without MODEL the refusal
applies to every base model, with it only to jobs on that model (an alias and its
snapshot match each other). The kinds and what the emulator answers:

``no-access``     403 on job creation, code ``fine_tuning_not_available``: the
                  organization may not create fine-tuning jobs (OpenAI closed
                  self-serve fine-tuning to organizations in stages in 2026; the
                  exact code it sends was not found in public sources, so this one
                  is ours, and the message says so in words).
``not-tunable``   400 ``model_not_available``, ``param: model``, with the text the
                  service sends for a model it will not fine-tune.
``daily-quota``   429 ``daily_rate_limit_exceeded``, in the shape and wording the
                  service uses (type ``invalid_request_error``, ``param`` null).
``invalid-file``  the job is created, then fails in ``validating_files`` with
                  ``error.code`` ``invalid_training_file``, as a file that failed the
                  service's checks does.

A base model already past its shutdown date is refused in ``job_creation`` with a
400 ``model_not_available`` naming the date; that needs no switch, only a date.
"""

from __future__ import annotations

from dataclasses import dataclass

from ftops.emulator import catalog
from ftops.emulator.apierrors import ApiError
from ftops.emulator.lifecycle import Failure
from ftops.errors import UsageError

KINDS = ("no-access", "not-tunable", "daily-quota", "invalid-file")
# The service's own daily job limit varies by organization; this is the number its message names.
DAILY_JOB_LIMIT = 8


@dataclass(frozen=True, slots=True)
class Refusal:
    kind: str
    model: str | None = None  # None: every model

    def applies_to(self, model: str) -> bool:
        if self.model is None:
            return True
        return _snapshot(self.model) == _snapshot(model)

    def __str__(self) -> str:
        return f"{self.kind}:{self.model}" if self.model else self.kind


def _snapshot(model: str) -> str:
    base = catalog.base_model(model)
    return base.trains_as if base else model


def parse_refusal(text: str) -> Refusal:
    """``KIND`` or ``KIND:MODEL``; a ``UsageError`` naming the kinds otherwise."""
    kind, colon, model = text.strip().partition(":")
    kind = kind.strip()
    if kind not in KINDS or (colon and not model.strip()):
        raise UsageError(
            f"--refuse {text!r}: expected KIND or KIND:MODEL with KIND one of {', '.join(KINDS)}."
        )
    return Refusal(kind, model.strip() or None)


def parse_refusals(texts: tuple[str, ...] | list[str]) -> tuple[Refusal, ...]:
    return tuple(parse_refusal(text) for text in texts)


def _first(refusals: tuple[Refusal, ...], kind: str, model: str) -> Refusal | None:
    return next((r for r in refusals if r.kind == kind and r.applies_to(model)), None)


def creation_refusal(refusals: tuple[Refusal, ...], model: str) -> ApiError | None:
    """The answer to a create-job request on ``model`` that a configured refusal demands."""
    if _first(refusals, "no-access", model):
        return ApiError(
            403,
            "This organization does not have access to fine-tuning: new fine-tuning jobs "
            "cannot be created.",
            code="fine_tuning_not_available",
        )
    if _first(refusals, "not-tunable", model):
        return ApiError(
            400,
            f"Model {model} is not available for fine-tuning or does not exist.",
            param="model",
            code="model_not_available",
        )
    if _first(refusals, "daily-quota", model):
        return ApiError(
            429,
            "This fine-tune request has been rate-limited. Your organization has reached the maximum "
            f"of {DAILY_JOB_LIMIT} fine-tuning requests per day for the model '{_snapshot(model)}'.",
            code="daily_rate_limit_exceeded",
        )
    return None


def forced_failure(refusals: tuple[Refusal, ...], model: str) -> Failure | None:
    """The validation failure a configured ``invalid-file`` refusal gives a job on ``model``."""
    if _first(refusals, "invalid-file", model) is None:
        return None
    return Failure(
        "invalid_training_file",
        "The job failed due to an invalid training file: the file did not pass the service's "
        "format checks.",
        "training_file",
    )
