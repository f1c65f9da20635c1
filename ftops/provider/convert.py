"""SDK response objects → ftops's frozen observed values (nothing SDK-typed leaves the provider)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ftops.plan.observed import JobError, ObservedFile, ObservedJob, ObservedModel
from ftops.resources import empty_mapping, freeze


@dataclass(frozen=True, slots=True)
class JobEvent:
    id: str
    created_at: int
    level: str
    message: str
    type: str = "message"  # "metrics" events carry step, total_steps and losses in ``data``
    data: Mapping[str, Any] = field(default_factory=empty_mapping)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    return getattr(obj, name, default)


def observed_file(obj: Any) -> ObservedFile:
    return ObservedFile(
        id=obj.id,
        filename=obj.filename,
        bytes=int(_get(obj, "bytes", 0) or 0),
        purpose=str(obj.purpose),
        status=str(_get(obj, "status", "") or ""),
        created_at=int(_get(obj, "created_at", 0) or 0),
    )


def _hyperparameters(obj: Any) -> dict[str, object]:
    hp = _get(obj, "hyperparameters")
    if hp is None:
        return {}
    dumped = hp.model_dump(exclude_none=True) if hasattr(hp, "model_dump") else dict(hp)
    return {str(k): v for k, v in dumped.items()}


def observed_job(obj: Any) -> ObservedJob:
    error = _get(obj, "error")
    job_error = None
    if error is not None and (_get(error, "message") or _get(error, "code")):
        job_error = JobError(
            code=_get(error, "code"), message=str(_get(error, "message") or ""), param=_get(error, "param")
        )
    metadata = _get(obj, "metadata") or {}
    return ObservedJob(
        id=obj.id,
        status=str(obj.status),
        model=str(obj.model),
        training_file=str(obj.training_file),
        validation_file=_get(obj, "validation_file"),
        fine_tuned_model=_get(obj, "fine_tuned_model"),
        metadata=freeze({str(k): str(v) for k, v in dict(metadata).items()}),
        created_at=int(_get(obj, "created_at", 0) or 0),
        finished_at=_get(obj, "finished_at"),
        trained_tokens=_get(obj, "trained_tokens"),
        estimated_finish=_get(obj, "estimated_finish"),
        error=job_error,
        hyperparameters=freeze(_hyperparameters(obj)),
    )


def observed_model(obj: Any) -> ObservedModel:
    return ObservedModel(
        id=obj.id,
        owned_by=str(_get(obj, "owned_by", "") or ""),
        created=int(_get(obj, "created", 0) or _get(obj, "created_at", 0) or 0),  # Azure: created_at
        shutdown_date=_get(obj, "shutdown_date") or _azure_retirement(obj),
    )


def _azure_retirement(obj: Any) -> str | None:
    """Azure's models listing has no ``shutdown_date``; its ``deprecation.inference`` (unix
    seconds) is the day the model stops answering, which is what ftops warns about."""
    deprecation = _get(obj, "deprecation")
    seconds = _get(deprecation, "inference") if deprecation is not None else None
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC).date().isoformat()
    except (OverflowError, OSError, ValueError):  # a date beyond what the platform can represent
        return None


def job_event(obj: Any) -> JobEvent:
    data = _get(obj, "data")
    return JobEvent(
        id=obj.id,
        created_at=int(_get(obj, "created_at", 0) or 0),
        level=str(_get(obj, "level", "info")),
        message=str(_get(obj, "message", "")),
        type=str(_get(obj, "type", None) or "message"),
        data=freeze(data) if isinstance(data, dict) else empty_mapping(),
    )
