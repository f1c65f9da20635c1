"""How each step's outcome changes the state records: the ONE implementation of record updates.

Each function takes a snapshot's ``resources`` and returns a new mapping (nothing is mutated),
ready for ``StateSnapshot.with_resources``. The executor (``ftops.apply.steps``) writes the
result after every step through ``StateJournal.update``, and ``note_pending`` before every
create, so an interrupted apply always leaves a trace that the next plan understands (it adopts
what the account holds instead of creating it again). The planner's convergence and crash
property tests drive these same functions, so what they prove holds for the real executor.

A function that changes a record or two parses only the records it may change (``_only``,
``_where``), not the whole state: it runs after every step, and parsing every record each
time made a 1,100-step apply quadratic (issue 9). The whole state was parsed, strictly,
when the run read it, and every record written since comes from a typed record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from ftops.plan.model import (
    AdoptObject,
    CreateJob,
    DeleteFile,
    DeleteModel,
    ForgetResource,
    PromoteModel,
    Step,
    UpdateRecord,
    UploadFile,
)
from ftops.plan.observed import Observed, ObservedJob
from ftops.plan.records import (
    PENDING_PREFIX,
    DatasetRecord,
    JobRecord,
    ModelRecord,
    Origin,
    PendingKind,
    PendingRecord,
    StateRecords,
    pending_key,
    read_records,
    record_json,
    with_record,
    without,
)
from ftops.resources import freeze

Resources = Mapping[str, Any]


def _name(address: str) -> str:
    return address.split(".", 1)[1]


def note_pending(
    resources: Resources, address: str, kind: PendingKind, identity: str, now_iso: str,
    in_flight: tuple[str, str, int] | None = None,
) -> dict[str, Any]:
    """The intent to create ``address``, written (and stored) BEFORE the request is sent;
    ``in_flight``: (settled by, writer, writer pid), see ``PendingRecord``."""
    settled_by, writer, pid = in_flight if in_flight is not None else (None, None, None)
    record = PendingRecord(kind, address, identity, now_iso, settled_by, writer, pid)
    return with_record(resources, pending_key(address), record)


def after_upload(resources: Resources, step: UploadFile, file_id: str) -> dict[str, Any]:
    """The upload made ``file_id``: it now serves the dataset; the one before it is retired."""
    old = _only(resources, step.address).datasets.get(_name(step.address))
    retired: tuple[str, ...] = ()
    if old is not None:
        retired = tuple(dict.fromkeys(f for f in (old.file_id, *old.retired_file_ids) if f != file_id))
    record = DatasetRecord(
        file_id, step.filename, step.content_hash, step.raw_sha256, step.size_bytes, retired
    )
    return without(with_record(resources, step.address, record), pending_key(step.address))


def after_create_job(resources: Resources, step: CreateJob, job: ObservedJob) -> dict[str, Any]:
    """The service created (or a lookup after a lost answer found) ``job`` for ``step``: it now
    serves the job name, and the job it replaces joins the older ones."""
    old = _only(resources, step.address).jobs.get(_name(step.address))
    previous: tuple[str, ...] = ()
    if old is not None and old.job_id != job.id:
        previous = tuple(dict.fromkeys(j for j in (old.job_id, *old.previous_job_ids) if j != job.id))
    record = job_record(job, step.inputs_hash, step.inputs, previous)
    return without(with_record(resources, step.address, record), pending_key(step.address))


def after_job_seen(resources: Resources, *jobs: ObservedJob) -> dict[str, Any]:
    """What the service just said about ``jobs`` (the answer to a cancel, a retrieve before a
    promotion, the end of a wait), recorded on the records that hold them, in one pass over
    the records. Intents stay."""
    out = dict(resources)
    seen = {job.id: job for job in jobs}
    holders = _where(resources, "jobs", "job_id", lambda v: not isinstance(v, str) or v in seen)
    for name, record in holders.jobs.items():
        job = seen.get(record.job_id)
        if job is not None:
            out[f"jobs.{name}"] = record_json(refreshed_job(record, job))
    return out


def job_record(
    job: ObservedJob, inputs_hash: str, inputs: Mapping[str, Any], previous: tuple[str, ...] = ()
) -> JobRecord:
    """A new record for ``job``, created (or imported) for inputs hashing to ``inputs_hash``."""
    return JobRecord(
        job_id=job.id, inputs_hash=inputs_hash, status=job.status, base_model=job.model,
        training_file_id=job.training_file, validation_file_id=job.validation_file,
        fine_tuned_model=job.fine_tuned_model, error=_error_text(job), created_at=job.created_at,
        finished_at=job.finished_at, trained_tokens=job.trained_tokens, inputs=inputs,
        previous_job_ids=previous,
    )


def after_promote(resources: Resources, step: PromoteModel, *, model_id: str, job_id: str,
                  gate: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The checks (and the gate, whose verdict ``gate`` is kept) passed and the name now points at
    ``model_id``; its old model becomes previous. The new model's origin: made by this project's
    job, or pinned by the manifests."""
    old = _only(resources, step.address).models.get(_name(step.address))
    previous: tuple[str, ...] = ()
    origins: dict[str, Origin] = {}
    if old is not None:
        previous = tuple(m for m in dict.fromkeys((old.model_id, *old.previous)) if m != model_id)
        origins.update(old.origins)
    origins[model_id] = "pinned" if step.model_id is not None else "ftops"
    kept = freeze(dict(gate)) if gate is not None else None
    record = ModelRecord(model_id, job_id, step.protect, previous, freeze(origins), gate=kept)
    return with_record(resources, step.address, record)


def after_gate_refused(resources: Resources, address: str, verdict: Mapping[str, Any]) -> dict[str, Any]:
    """The gate refused a candidate: the name stays, and its record keeps the verdict as its last
    (a name with no model yet has no record to keep it on)."""
    old = _only(resources, address).models.get(_name(address))
    if old is None:
        return dict(resources)
    return with_record(resources, address, replace(old, gate=freeze(dict(verdict))))


def after_step(resources: Resources, step: Step) -> dict[str, Any]:
    """The record change of a step that needs no outcome from the service: adoptions,
    deletions, forgetting and record updates. A deleted object leaves the older ones of its
    record; a record's current object stays named until its ``ForgetResource`` (the step after
    it), so a run that dies in between still knows the resource and its older objects."""
    if isinstance(step, AdoptObject | UpdateRecord):
        return without({**resources, step.address: freeze(dict(step.record))}, pending_key(step.address))
    if isinstance(step, ForgetResource):
        return without(resources, step.address, pending_key(step.address))
    if isinstance(step, DeleteFile):
        return _drop_file(resources, step.file_id)
    if isinstance(step, DeleteModel):
        return _drop_model(resources, step.model_id)
    raise TypeError(f"{type(step).__name__} needs its outcome: use its own after_* function")


def refresh_records(resources: Resources, observed: Observed) -> dict[str, Any]:
    """What a refresh teaches the state without any change: job progress, and older uploads
    and models that no longer exist. (``--refresh-only`` applies exactly this.)"""
    out = dict(resources)
    records = read_records(resources)
    for name, job in records.jobs.items():
        seen = observed.jobs.get(job.job_id)
        if seen is not None:
            out[f"jobs.{name}"] = record_json(refreshed_job(job, seen))
    for name, dataset in records.datasets.items():
        retired = tuple(f for f in dataset.retired_file_ids if f in observed.files)
        if retired != dataset.retired_file_ids:
            out[f"datasets.{name}"] = record_json(replace(dataset, retired_file_ids=retired))
    for name, model in records.models.items():
        previous = tuple(m for m in model.previous if m in observed.models)
        if previous != model.previous:
            out[f"models.{name}"] = record_json(replace(model, previous=previous))
    return out


def forget_vanished(resources: Resources, observed: Observed) -> dict[str, Any]:
    """``apply --refresh-only``: besides ``refresh_records``, drop the records of uploads and
    models deleted outside ftops (the drift a refresh-only plan reports), as Terraform's
    refresh-only apply does. Jobs are never deleted by the service, so their records stay."""
    out = refresh_records(resources, observed)
    records = read_records(out)
    for name, dataset in records.datasets.items():
        if dataset.file_id not in observed.files:
            out.pop(f"datasets.{name}", None)
    for name, model in records.models.items():
        if model.model_id not in observed.models:
            out.pop(f"models.{name}", None)
    return out


def clear_pending(resources: Resources) -> dict[str, Any]:
    """Drop every intent: for the end of an apply that finished all its steps."""
    return {k: v for k, v in resources.items() if not k.startswith(PENDING_PREFIX)}


def refreshed_job(job: JobRecord, seen: ObservedJob) -> JobRecord:
    """The record with what the service now says about its job (status, model, tokens, error)."""
    return replace(
        job,
        status=seen.status,
        fine_tuned_model=seen.fine_tuned_model or job.fine_tuned_model,
        error=_error_text(seen) or job.error,
        created_at=seen.created_at,
        finished_at=seen.finished_at,
        trained_tokens=seen.trained_tokens,
    )


def _error_text(job: ObservedJob) -> str | None:
    if job.error is None:
        return None
    return f"{job.error.code}: {job.error.message}" if job.error.code else job.error.message


def _drop_file(resources: Resources, file_id: str) -> dict[str, Any]:
    out = dict(resources)
    holders = _where(resources, "datasets", "retired_file_ids", lambda v: _may_hold(v, file_id))
    for name, dataset in holders.datasets.items():
        if file_id in dataset.retired_file_ids:
            retired = tuple(f for f in dataset.retired_file_ids if f != file_id)
            out[f"datasets.{name}"] = record_json(replace(dataset, retired_file_ids=retired))
    return out


def _drop_model(resources: Resources, model_id: str) -> dict[str, Any]:
    out = dict(resources)
    holders = _where(resources, "models", "previous", lambda v: _may_hold(v, model_id))
    for name, model in holders.models.items():
        if model_id in model.previous:
            previous = tuple(m for m in model.previous if m != model_id)
            out[f"models.{name}"] = record_json(replace(model, previous=previous))
    return out


def _only(resources: Resources, address: str) -> StateRecords:
    """The record at ``address`` alone, parsed strictly (empty if there is none)."""
    record = resources.get(address)
    return StateRecords() if record is None else read_records({address: record})


def _where(resources: Resources, kind: str, key: str, may_match: Callable[[Any], bool]) -> StateRecords:
    """The records of ``kind`` whose raw ``key`` value (None when absent) passes ``may_match``,
    parsed strictly. ``may_match`` also passes any value no valid record holds, so a malformed
    record among the candidates is reported as a whole-state parse would, not skipped."""
    prefix = kind + "."
    chosen = {
        address: record
        for address, record in resources.items()
        if address.startswith(prefix) and (not isinstance(record, Mapping) or may_match(record.get(key)))
    }
    return read_records(chosen)


def _may_hold(ids: Any, wanted: str) -> bool:
    """Whether a raw list of ids may hold ``wanted``: it does, or it is not a list at all."""
    return ids is not None and (not isinstance(ids, list | tuple) or wanted in ids)
