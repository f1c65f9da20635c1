"""Together's answers (raw JSON, or the SDK's objects) → ftops's frozen observed values.

Here Together's words become ftops's: a status its ``JobPhase``, the suffix's token and the
training file's name a ``JobIdentity``, ISO-8601 times unix seconds, an event a ``JobEvent``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from ftops.metrics.model import StepMetrics
from ftops.plan.observed import JobError, ObservedFile, ObservedJob, ObservedModel
from ftops.provider.together import identity
from ftops.provider.together.naming import JOB_PHASES
from ftops.provider.types import JobEvent, JobIdentity, JobPhase, phase_of
from ftops.resources import freeze

# A file whose processing failed can never be trained on or adopted.
UNUSABLE_PROCESSING: Final = frozenset({"FAILED", "INVALID_FORMAT"})
# The job settings shown as its hyperparameters.
_SETTINGS: Final = ("n_epochs", "batch_size", "learning_rate", "warmup_ratio", "n_checkpoints", "n_evals")
_ERROR_EVENTS: Final = frozenset({"job_error", "JOB_ERROR", "JOB_USER_ERROR"})


def field(obj: Any, *names: str) -> Any:
    """The first of ``names`` that ``obj`` (a dict or an SDK object) has and is not None."""
    for name in names:
        value = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
        if value is not None:
            return value
    return None


def unix_seconds(value: Any) -> int:
    """Together's job times are ISO-8601 strings; its files' are integers."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int | float):
        return int(value) if math.isfinite(value) else 0
    if isinstance(value, str) and value:
        try:
            return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
        except ValueError:
            return 0
    return 0


def observed_file(obj: Any) -> ObservedFile:
    processing = str(field(obj, "processing_status") or "")
    return ObservedFile(
        id=str(field(obj, "id")),
        filename=str(field(obj, "filename") or ""),
        bytes=int(field(obj, "bytes") or 0),
        purpose=str(field(obj, "purpose") or ""),
        status=processing.lower() or "processed",
        created_at=unix_seconds(field(obj, "created_at")),
        usable=processing not in UNUSABLE_PROCESSING,
    )


def job_identity(obj: Any) -> JobIdentity | None:
    """The identity a job carries, known by its digest only (``JobIdentity.carries`` tells whose
    it is); None for a job without ftops's token in its suffix. No name the service keeps says
    the project for sure: the training file's name might (``ftops-<project>--...``), but the
    service answers an upload of bytes it already holds with the first file, whose name may be
    another project's."""
    digest = identity.digest_of(field(obj, "suffix"), output_model(obj))
    return JobIdentity("", None, "", digest) if digest is not None else None


def output_model(obj: Any) -> str | None:
    found = field(obj, "model_output_name", "x_model_output_name", "output_name")
    return str(found) if found else None


def _error(obj: Any, status: str) -> JobError | None:
    if phase_of(status, JOB_PHASES) is not JobPhase.FAILED:
        return None
    events = field(obj, "events") or []
    messages = [str(field(e, "message") or "") for e in events if field(e, "type") in _ERROR_EVENTS]
    return JobError(code=status, message=messages[-1] if messages else f"the job ended with status {status}")


def observed_job(obj: Any) -> ObservedJob:
    status = str(field(obj, "status") or "")
    phase = phase_of(status, JOB_PHASES)
    validation = field(obj, "validation_file")
    settings = {name: field(obj, name) for name in _SETTINGS if field(obj, name) is not None}
    training_type = field(obj, "training_type")
    if training_type is not None:
        settings["training_type"] = str(field(training_type, "type") or "")
    method = field(obj, "training_method")
    if method is not None:
        settings["training_method"] = str(field(method, "method") or "")
    return ObservedJob(
        id=str(field(obj, "id")),
        status=status,
        model=str(field(obj, "model") or ""),
        training_file=str(field(obj, "training_file") or ""),
        validation_file=str(validation) if validation else None,
        # The service names the output model at creation; it exists only once the job completed.
        fine_tuned_model=output_model(obj) if phase is JobPhase.SUCCEEDED else None,
        metadata=freeze({}),
        created_at=unix_seconds(field(obj, "created_at")),
        finished_at=unix_seconds(field(obj, "updated_at")) if phase.is_terminal else None,
        trained_tokens=field(obj, "token_count") if phase is JobPhase.SUCCEEDED else None,
        estimated_finish=_estimated_finish(obj) if phase.is_active else None,
        error=_error(obj, status),
        hyperparameters=freeze(settings),
        reported_phase=phase,
        identity=job_identity(obj),
    )


def _estimated_finish(obj: Any) -> int | None:
    """Together gives the seconds left (``progress``), not a time: the time is now plus them."""
    progress = field(obj, "progress")
    if progress is None or not field(progress, "estimate_available"):
        return None
    seconds = _number(field(progress, "seconds_remaining"))
    return int(time.time() + seconds) if seconds is not None else None


# Together's metric names, from its spec's example (train/loss, train/learning_rate,
# train/global_step); the SDK's own chart keys every row, evaluations included, by
# train/global_step. The spec names no evaluation key: eval/loss is read, the train/loss
# convention under the eval prefix, and the one name here that is not published
# (docs/together.md).
_STEP_KEYS: Final = ("train/global_step",)
_TRAIN_LOSS_KEYS: Final = ("train/loss",)
_VALID_LOSS_KEYS: Final = ("eval/loss",)


def _first_number(snapshot: Mapping[str, Any], names: tuple[str, ...]) -> float | None:
    return next((found for name in names if (found := _number(snapshot.get(name))) is not None), None)


def step_metrics(snapshots: Any) -> tuple[StepMetrics, ...]:
    """``GET /fine-tunes/{id}/metrics``'s snapshots (flat maps of numbers) by step, training and
    evaluation snapshots of one step merged; odd values left out, never raised on."""
    by_step: dict[int, dict[str, float | None]] = {}
    for snapshot in snapshots if isinstance(snapshots, list) else ():
        if not isinstance(snapshot, Mapping):
            continue
        step = _first_number(snapshot, _STEP_KEYS)
        if step is None:
            continue
        row = by_step.setdefault(int(step), {"train": None, "valid": None})
        for key, names in (("train", _TRAIN_LOSS_KEYS), ("valid", _VALID_LOSS_KEYS)):
            found = _first_number(snapshot, names)
            if found is not None:
                row[key] = found
    return tuple(
        StepMetrics(step=step, train_loss=row["train"], train_accuracy=None, valid_loss=row["valid"])
        for step, row in sorted(by_step.items())
    )


def observed_model(job: ObservedJob) -> ObservedModel:
    """Together lists no fine-tuned models of its own (v1): a completed job's output is one."""
    assert job.fine_tuned_model is not None
    created = job.finished_at or job.created_at
    return ObservedModel(id=job.fine_tuned_model, owned_by="account", created=created)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def latest_training_step(snapshots: Sequence[StepMetrics]) -> StepMetrics | None:
    """The newest step with a training loss, if any."""
    return next((s for s in reversed(snapshots) if s.train_loss is not None), None)


def total_steps(obj: Any) -> int:
    """An event's ``total_steps`` (Together sets it on every event once the job knows it), or 0."""
    return int(_number(field(obj, "total_steps")) or 0)


def job_event(obj: Any, index: int) -> JobEvent:
    """An event; those that name a step report the progress (Together's events carry no loss:
    the adapter adds it from the metrics)."""
    step = _number(field(obj, "step"))
    total = _number(field(obj, "total_steps"))
    level = str(field(obj, "level") or "info").lower()
    created = field(obj, "created_at")
    return JobEvent(
        id=f"{field(obj, 'type') or 'event'}-{index}",
        created_at=unix_seconds(created),
        level=level,
        message=str(field(obj, "message") or ""),
        step=int(step) if step else None,
        total_steps=int(total) if step and total else None,
    )
