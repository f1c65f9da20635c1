"""Carry out one plan step: call the provider, then record the result in the state at once.

Each handler does exactly what its step says. The only judgement left to the
executor is about outcomes the plan could not know: a create whose answer was
lost (look for the tagged object, adopt it if there), and a promotion whose job
has not finished yet (wait, or leave it for a later run).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from ftops.apply.checks import run_checks
from ftops.apply.errors import CheckFailedError, JobFailedError, WaitStopped
from ftops.apply.journal import StateJournal
from ftops.apply.progress import Reporter
from ftops.apply.waiting import WaitOptions, wait_for_job
from ftops.errors import OutcomeUnknownError, PlanError, ProviderError
from ftops.lifecycle.refusals import explain
from ftops.plan.model import (
    AdoptObject,
    CancelJob,
    CreateJob,
    DeleteFile,
    DeleteModel,
    ForgetResource,
    PromoteModel,
    Step,
    UpdateRecord,
    UploadFile,
)
from ftops.plan.observed import ObservedFile, ObservedJob
from ftops.plan.records import DatasetRecord, JobRecord, ModelRecord, read_records
from ftops.provider import Provider
from ftops.resources import META_INPUTS, META_RESOURCE, Project, thaw

T = TypeVar("T")

# How many times a create is tried when each attempt's outcome is unknown and the
# object is not found afterwards. Each try is preceded by a look, so none is blind.
CREATE_TRIES = 3


class StepOutcome(Enum):
    DONE = "done"
    PENDING = "pending"  # a promotion whose job has not finished, left for a later run


@dataclass
class StepRunner:
    provider: Provider
    journal: StateJournal
    project: Project
    reporter: Reporter
    wait: WaitOptions | None  # None: do not wait for jobs
    pause: Callable[[float], None] = time.sleep  # between create attempts; tests pass a no-op
    stop: threading.Event | None = None  # set on Ctrl-C: waits end early

    def run(self, step: Step) -> StepOutcome:
        if isinstance(step, UploadFile):
            self.upload(step)
        elif isinstance(step, DeleteFile):
            self.delete_file(step)
        elif isinstance(step, CreateJob):
            self.create_job(step)
        elif isinstance(step, CancelJob):
            self.cancel_job(step)
        elif isinstance(step, AdoptObject):
            self.journal.put_raw(step.address, step.record)
            self.reporter.line(f"{step.address}: adopted {step.kind} {step.object_id}")
        elif isinstance(step, PromoteModel):
            return self.promote(step)
        elif isinstance(step, DeleteModel):
            self.delete_model(step)
        elif isinstance(step, UpdateRecord):
            self.journal.put_raw(step.address, step.record)
        elif isinstance(step, ForgetResource):
            self.journal.forget(step.address)
            self.reporter.line(f"{step.address}: removed from the state")
        else:  # pragma: no cover - the Step union is closed
            raise PlanError(f"unknown plan step {type(step).__name__}")
        return StepOutcome.DONE

    # ---- files -------------------------------------------------------------------------------

    def upload(self, step: UploadFile) -> None:
        self.journal.mark_pending("file", step.address, step.filename)
        advance = self.reporter.transfer(step.address, step.size_bytes)
        file = self._create_or_find(
            step.address,
            create=lambda: self.provider.upload(
                Path(step.path), step.filename, step.size_bytes, progress=advance,
                expected_sha256=step.raw_sha256,
            ),
            find=lambda: _find_file(self.provider.list_files(), step.filename, set(step.supersedes)),
        )
        self.reporter.transfer_done(step.address)
        name = _name(step.address)
        old = self.journal.records().datasets.get(name)
        retired: tuple[str, ...] = ()
        if old is not None:
            earlier = (old.file_id, *old.retired_file_ids) if old.file_id != file.id else old.retired_file_ids
            retired = tuple(dict.fromkeys(f for f in earlier if f != file.id))
        record = DatasetRecord(
            file_id=file.id, filename=step.filename, content_hash=step.content_hash,
            raw_sha256=step.raw_sha256, bytes=step.size_bytes, retired_file_ids=retired,
        )
        self.journal.put(step.address, record)
        self.reporter.line(f"{step.address}: uploaded as {file.id}")

    def delete_file(self, step: DeleteFile) -> None:
        gone = self.provider.delete_file(step.file_id)
        name = _name(step.address)

        def change(resources: dict[str, Any]) -> None:
            record = read_records(resources).datasets.get(name)
            if record is None:
                return
            if record.file_id == step.file_id:
                resources.pop(step.address, None)
            else:
                kept = tuple(f for f in record.retired_file_ids if f != step.file_id)
                resources[step.address] = _frozen(replace(record, retired_file_ids=kept).to_json())

        self.journal.edit(change)
        already = "" if gone else " (already gone)"
        self.reporter.line(f"{step.address}: deleted file {step.file_id}{already}")

    # ---- jobs --------------------------------------------------------------------------------

    def create_job(self, step: CreateJob) -> None:
        records = self.journal.records()
        body = _fill_datasets(step.address, step.request, records.datasets)
        name = _name(step.address)
        old = records.jobs.get(name)
        known = set(step.supersedes)
        if old is not None:
            known.update((old.job_id, *old.previous_job_ids))
        self.journal.mark_pending("job", step.address, step.inputs_hash)
        job = self._create_or_find(
            step.address,
            create=lambda: self.provider.create_job(body, what=f"create job {step.address}"),
            find=lambda: _find_job(
                self.provider.list_jobs(self.project.name), step.address, step.inputs_hash, known
            ),
        )
        previous: tuple[str, ...] = ()
        if old is not None and old.job_id != job.id:
            previous = tuple(dict.fromkeys((old.job_id, *old.previous_job_ids)))
        record = job_record(job, step.inputs_hash, step.inputs, previous)
        self.journal.put(step.address, record)
        self.reporter.line(f"{step.address}: created job {job.id} ({job.status})")

    def cancel_job(self, step: CancelJob) -> None:
        try:
            job = self.provider.cancel_job(step.job_id)
        except ProviderError as error:
            # A job that finished between the plan and now cannot be cancelled, and need not be.
            job = self.provider.retrieve_job(step.job_id)
            if not job.is_terminal:
                raise error from None
        self._update_job(step.address, job)
        self.reporter.line(f"{step.address}: job {step.job_id} {job.status}")

    def _update_job(self, address: str, job: ObservedJob) -> None:
        record = self.journal.records().jobs.get(_name(address))
        if record is None or record.job_id != job.id:
            return
        self.journal.put(address, refreshed(record, job), clear_pending=False)

    # ---- models ------------------------------------------------------------------------------

    def promote(self, step: PromoteModel) -> StepOutcome:
        record = self.journal.records().jobs.get(_name(step.job_address))
        if record is None:
            raise PlanError(f"{step.address}: {step.job_address} has no job in the state to promote from")
        job = self.provider.retrieve_job(record.job_id)
        self._update_job(step.job_address, job)
        if not job.is_terminal:
            if self.wait is None:
                self.reporter.line(f"{step.address}: pending, {step.job_address} is {job.status}")
                return StepOutcome.PENDING
            try:
                job = wait_for_job(self.provider, step.job_address, job, self.reporter, self.wait, self.stop)
            except WaitStopped as stopped:
                self.reporter.line(str(stopped))
                return StepOutcome.PENDING
            self._update_job(step.job_address, job)
        current = self.journal.records().models.get(_name(step.address))
        keeps = f"; {step.address} keeps {current.model_id}" if current else ""
        if job.status != "succeeded" or not job.fine_tuned_model:
            reason = f": {job.error.message}" if job.error else ""
            # A failure the service explains by a known code (e.g. invalid_training_file) gets one
            # line with its cause and remedy (issue 10); the service's own words become the hint.
            explained = explain(job.error.code) if job.error else None
            if explained and job.error:
                raise JobFailedError(
                    f"{step.job_address} ({job.id}) {job.status}: {explained}{keeps}",
                    hint="The service said: " + job.error.message,
                )
            raise JobFailedError(f"{step.job_address} ({job.id}) {job.status}{reason}{keeps}")
        model_id = job.fine_tuned_model
        failure = run_checks(step.checks, lambda messages: self.provider.chat(model_id, messages))
        if failure is not None:
            raise CheckFailedError(failure.describe(step.address) + keeps)
        previous: tuple[str, ...] = ()
        if current is not None:
            earlier = current.previous
            if current.model_id != model_id:
                earlier = (current.model_id, *current.previous)
            previous = tuple(dict.fromkeys(m for m in earlier if m != model_id))
        self.journal.put(step.address, ModelRecord(model_id, job.id, step.protect, previous))
        passed = f", {len(step.checks)} check(s) passed" if step.checks else ""
        self.reporter.line(f"{step.address}: now {model_id}{passed}")
        return StepOutcome.DONE

    def delete_model(self, step: DeleteModel) -> None:
        gone = self.provider.delete_model(step.model_id)

        def change(resources: dict[str, Any]) -> None:
            for name, record in read_records(resources).models.items():
                address = f"models.{name}"
                if record.model_id == step.model_id and address == step.address:
                    resources.pop(address, None)
                elif step.model_id in record.previous:
                    kept = tuple(m for m in record.previous if m != step.model_id)
                    resources[address] = _frozen(replace(record, previous=kept).to_json())

        self.journal.edit(change)
        already = "" if gone else " (already gone)"
        self.reporter.line(f"{step.address}: deleted model {step.model_id}{already}")

    # ---- creates whose answer may be lost -------------------------------------------------------

    def _create_or_find(self, address: str, create: Callable[[], T], find: Callable[[], T | None]) -> T:
        for attempt in range(1, CREATE_TRIES + 1):
            try:
                return create()
            except OutcomeUnknownError as error:
                # Give the service a moment first: an object created just now may take a
                # little while to appear in a listing, and missing it would mean a duplicate.
                self.pause(self.provider.retry.backoff(attempt))
                found = find()
                if found is not None:
                    self.reporter.line(f"{address}: {error}; found it in the account, adopting it")
                    return found
                if attempt == CREATE_TRIES:
                    raise
                self.reporter.line(f"{address}: {error}; not in the account, trying again")
        raise AssertionError("unreachable")  # pragma: no cover


# ---- helpers ------------------------------------------------------------------------------------


def _name(address: str) -> str:
    return address.split(".", 1)[1]


def _frozen(data: Mapping[str, Any]) -> Mapping[str, Any]:
    from ftops.resources import freeze

    frozen: Mapping[str, Any] = freeze(dict(data))
    return frozen


def _find_file(files: tuple[ObservedFile, ...], filename: str, known: set[str]) -> ObservedFile | None:
    matches = [f for f in files if f.filename == filename and f.status != "error" and f.id not in known]
    return min(matches, key=lambda f: (f.created_at, f.id)) if matches else None


def _find_job(
    jobs: tuple[ObservedJob, ...], address: str, inputs_hash: str, known: set[str]
) -> ObservedJob | None:
    matches = [
        j for j in jobs
        if j.metadata.get(META_INPUTS) == inputs_hash
        and j.metadata.get(META_RESOURCE) == address
        and j.id not in known
    ]
    return min(matches, key=lambda j: (j.created_at, j.id)) if matches else None


def _fill_datasets(address: str, request: Mapping[str, Any], datasets: Mapping[str, DatasetRecord]) -> Any:
    """The request with each ``{"dataset": NAME}`` placeholder replaced by that upload's file id."""

    def fill(value: Any) -> Any:
        if isinstance(value, Mapping):
            if set(value) == {"dataset"} and isinstance(value["dataset"], str):
                record = datasets.get(value["dataset"])
                if record is None:
                    raise PlanError(f"{address}: datasets.{value['dataset']} has no upload in the state")
                return record.file_id
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [fill(v) for v in value]
        return value

    return fill(thaw(request))


def _error_text(job: ObservedJob) -> str | None:
    if job.error is None:
        return None
    return f"{job.error.code}: {job.error.message}" if job.error.code else job.error.message


def job_record(
    job: ObservedJob, inputs_hash: str, inputs: Mapping[str, Any], previous: tuple[str, ...]
) -> JobRecord:
    return JobRecord(
        job_id=job.id, inputs_hash=inputs_hash, status=job.status, base_model=job.model,
        training_file_id=job.training_file, validation_file_id=job.validation_file,
        fine_tuned_model=job.fine_tuned_model, error=_error_text(job), created_at=job.created_at,
        finished_at=job.finished_at, trained_tokens=job.trained_tokens, inputs=inputs,
        previous_job_ids=previous,
    )


def refreshed(record: JobRecord, job: ObservedJob) -> JobRecord:
    """The record with what the service now says about its job."""
    return replace(
        record, status=job.status, fine_tuned_model=job.fine_tuned_model, error=_error_text(job),
        finished_at=job.finished_at, trained_tokens=job.trained_tokens,
    )


def sync_job_records(journal: StateJournal, jobs: Mapping[str, ObservedJob]) -> int:
    """Bring the state's job records up to date with a refresh (status, model, tokens), as
    Terraform stores a refreshed state; one write, none when nothing changed. Returns how
    many records changed."""
    changed = 0

    def change(resources: dict[str, Any]) -> None:
        nonlocal changed
        for name, record in read_records(resources).jobs.items():
            job = jobs.get(record.job_id)
            if job is None:
                continue
            updated = refreshed(record, job)
            if updated != record:
                resources[f"jobs.{name}"] = _frozen(updated.to_json())
                changed += 1

    journal.edit(change)
    return changed
