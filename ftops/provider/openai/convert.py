"""SDK response objects → ftops's frozen observed values (nothing SDK-typed leaves the provider).

Here OpenAI's words become ftops's: a status its ``JobPhase``, the ``ftops_*`` metadata
tags a ``JobIdentity``, a ``metrics`` event a ``JobEvent`` with its step and loss.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from ftops.plan.observed import JobError, ObservedFile, ObservedJob, ObservedModel
from ftops.provider.openai.naming import JOB_PHASES
from ftops.provider.types import JobEvent, JobIdentity, phase_of
from ftops.resources import META_INPUTS, META_PROJECT, META_RESOURCE, freeze


def identity_of(metadata: Mapping[str, str]) -> JobIdentity | None:
    """The identity ftops wrote in a job's metadata; None for a job without ftops's tags."""
    project = metadata.get(META_PROJECT)
    if not project:
        return None
    return JobIdentity(project, metadata.get(META_RESOURCE) or None, metadata.get(META_INPUTS, ""))


def identity_tags(identity: JobIdentity) -> dict[str, str]:
    """``identity`` as the metadata tags ``identity_of`` reads back."""
    tags = {META_PROJECT: identity.project}
    if identity.resource is not None:
        tags[META_RESOURCE] = identity.resource
    tags[META_INPUTS] = identity.inputs_hash
    return tags


def _get(obj: Any, name: str, default: Any = None) -> Any:
    return getattr(obj, name, default)


# File statuses of files that exist but can never be trained on or adopted.
UNUSABLE_FILE_STATUSES: Final = frozenset({"error", "deleted"})


def observed_file(obj: Any) -> ObservedFile:
    status = str(_get(obj, "status", "") or "")
    return ObservedFile(
        id=obj.id,
        filename=obj.filename,
        bytes=int(_get(obj, "bytes", 0) or 0),
        purpose=str(obj.purpose),
        status=status,
        created_at=int(_get(obj, "created_at", 0) or 0),
        usable=status not in UNUSABLE_FILE_STATUSES,
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
    metadata = {str(k): str(v) for k, v in dict(_get(obj, "metadata") or {}).items()}
    status = str(obj.status)
    return ObservedJob(
        id=obj.id,
        status=status,
        model=str(obj.model),
        training_file=str(obj.training_file),
        validation_file=_get(obj, "validation_file"),
        fine_tuned_model=_get(obj, "fine_tuned_model"),
        metadata=freeze(metadata),
        created_at=int(_get(obj, "created_at", 0) or 0),
        finished_at=_get(obj, "finished_at"),
        trained_tokens=_get(obj, "trained_tokens"),
        estimated_finish=_get(obj, "estimated_finish"),
        error=job_error,
        hyperparameters=freeze(_hyperparameters(obj)),
        reported_phase=phase_of(status, JOB_PHASES),
        identity=identity_of(metadata),
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


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def job_event(obj: Any) -> JobEvent:
    """An event; a ``metrics`` one carries ``data.step``, ``total_steps`` and ``train_loss``
    (odd values from the service are left out, never raised on)."""
    data = _get(obj, "data")
    step = total = loss = None
    if _get(obj, "type", None) == "metrics" and isinstance(data, Mapping):
        found_step = _number(data.get("step"))
        if found_step is not None:
            step = int(found_step)
            found_total = _number(data.get("total_steps"))
            total = int(found_total) if found_total else None
            loss = _number(data.get("train_loss"))
    return JobEvent(
        id=obj.id,
        created_at=int(_get(obj, "created_at", 0) or 0),
        level=str(_get(obj, "level", "info")),
        message=str(_get(obj, "message", "")),
        step=step,
        total_steps=total,
        train_loss=loss,
    )
