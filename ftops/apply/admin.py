"""State surgery (``state list|show|rm|mv``) and ``import``: explicit edits, each one write.

These never touch the account: ``rm`` forgets (the next plan may adopt the object
again by its identity, or create a new one), ``mv`` renames an address within a
kind, ``import`` records an existing object under an address after checking it
exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ftops.apply.journal import StateJournal
from ftops.errors import NotFoundError, UsageError
from ftops.plan.bookkeeping import job_record
from ftops.plan.desired import Desired
from ftops.plan.records import (
    DatasetRecord,
    ModelRecord,
    Origin,
    StateRecords,
    pending_key,
    read_records,
)
from ftops.provider import Provider
from ftops.resources import ADDRESS_KINDS, freeze, thaw
from ftops.state import StateSnapshot


def split_address(address: str) -> tuple[str, str]:
    kind, _, name = address.partition(".")
    if kind not in ADDRESS_KINDS or not name:
        raise UsageError(f"{address!r} is not an address: use datasets.NAME, jobs.NAME or models.NAME")
    return kind, name


def list_addresses(state: StateSnapshot | None) -> list[str]:
    return sorted(state.resources) if state is not None else []


def show(state: StateSnapshot | None, address: str) -> Mapping[str, Any]:
    if state is None or address not in state.resources:
        raise UsageError(f"{address} is not in the state (see `ftops state list`)")
    shown: Mapping[str, Any] = thaw(state.resources[address])
    return shown


def remove(journal: StateJournal, address: str) -> None:
    if address not in journal.snapshot.resources:
        raise UsageError(f"{address} is not in the state (see `ftops state list`)")
    journal.forget(address)


def move(journal: StateJournal, source: str, destination: str) -> None:
    source_kind, _ = split_address(source)
    destination_kind, _ = split_address(destination)
    if source_kind != destination_kind:
        raise UsageError(f"cannot move {source} to {destination}: an address keeps its kind")
    resources = journal.snapshot.resources
    if source not in resources:
        raise UsageError(f"{source} is not in the state (see `ftops state list`)")
    if destination in resources:
        raise UsageError(f"{destination} is already in the state: remove it first")

    def change(current: dict[str, Any]) -> None:
        current[destination] = current.pop(source)
        current.pop(pending_key(source), None)

    journal.edit(change)


def import_object(journal: StateJournal, provider: Provider, desired: Desired, address: str,
                  object_id: str) -> str:
    """Record an existing object under ``address``; returns a line describing what was recorded."""
    kind, name = split_address(address)
    project = desired.project
    if address in journal.snapshot.resources:
        raise UsageError(f"{address} is already in the state: `ftops state rm {address}` first")
    if kind == "datasets":
        if name not in desired.datasets:
            raise UsageError(f"{address} is not declared in the manifests")
        file = next((f for f in provider.list_files() if f.id == object_id), None)
        if file is None:
            raise NotFoundError(f"import {address}: no fine-tune file {object_id} in the account")
        fingerprint = desired.datasets[name]
        if file.bytes != fingerprint.size_bytes:
            from ftops.manifest.loader import display_path

            raise UsageError(
                f"import {address}: {object_id} holds {file.bytes} bytes, but "
                f"{display_path(project.datasets[name].path)} "
                f"has {fingerprint.size_bytes}: it is not an upload of this dataset"
            )
        journal.put(address, DatasetRecord(object_id, file.filename, fingerprint.content_hash,
                                           fingerprint.raw_sha256, fingerprint.size_bytes))
        return f"{address}: imported file {object_id} ({file.filename})"
    if kind == "jobs":
        if name not in project.jobs:
            raise UsageError(f"{address} is not declared in the manifests")
        job = provider.retrieve_job(object_id)
        inputs_hash = desired.inputs_hash(project.jobs[name])
        note = ""
        if job.identity is not None and job.identity.inputs_hash not in ("", inputs_hash):
            note = " (it was created with other inputs than the manifests': the next plan will replace it)"
        journal.put(address, job_record(job, inputs_hash, desired.inputs(project.jobs[name]), ()))
        return f"{address}: imported job {object_id} ({job.status}){note}"
    if name not in project.models:
        raise UsageError(f"{address} is not declared in the manifests")
    models = {m.id for m in provider.list_models()}
    if object_id not in models:
        raise NotFoundError(f"import {address}: no model {object_id} in the account")
    records = read_records(journal.snapshot)
    declared = project.models[name]
    origin = import_origin(records, declared.model, object_id)
    job_id = next((j.job_id for j in records.jobs.values() if j.fine_tuned_model == object_id), "")
    journal.put(address, ModelRecord(object_id, job_id, declared.protect, (), freeze({object_id: origin})))
    made = "made by this project's job" if origin == "ftops" else "not created by ftops: never deleted by it"
    return f"{address}: imported model {object_id} ({made})"


def import_origin(records: StateRecords, pinned: str | None, model_id: str) -> Origin:
    """How an imported model is recorded: created by ftops only when one of the project's
    recorded jobs made it; the model a name is pinned to counts as pinned; anything else as
    imported, which ftops never deletes unless the name says ``delete_external: true``."""
    if any(job.fine_tuned_model == model_id for job in records.jobs.values()):
        return "ftops"
    return "pinned" if model_id == pinned else "imported"
