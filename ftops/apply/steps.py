"""Carry out one plan step: call the provider, then record the result in the state at once.

Every record change goes through ``ftops.plan.bookkeeping`` (the same functions the planner's
convergence and crash tests drive); this module only talks to the provider and decides which
outcome to record. Each handler does exactly what its step says. The only judgement left to the
executor is about outcomes the plan could not know: a create whose answer was
lost (look for the tagged object, adopt it if there), and a promotion whose job
has not finished yet (wait, or leave it for a later run).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from ftops.apply.checks import run_checks
from ftops.apply.deployments import Deployer, record_deployment
from ftops.apply.errors import CheckFailedError, GateRefusedError, JobFailedError, WaitStopped
from ftops.apply.journal import StateJournal, now_iso
from ftops.apply.progress import Reporter
from ftops.apply.waiting import WaitOptions, wait_for_job
from ftops.errors import FtopsError, OutcomeUnknownError, PlanError, ProviderError
from ftops.lifecycle.refusals import explain
from ftops.plan import bookkeeping
from ftops.plan.model import (
    AdoptObject,
    CancelJob,
    CreateJob,
    DeleteDeployment,
    DeleteFile,
    DeleteModel,
    Deploy,
    ForgetResource,
    PromoteModel,
    Step,
    UpdateRecord,
    UploadFile,
)
from ftops.plan.observed import ObservedFile, ObservedJob
from ftops.plan.records import DatasetRecord, PendingKind, PendingRecord
from ftops.provider import JobIdentity, JobPhase, Provider
from ftops.resources import Project
from ftops.state.lock import format_time, holder_name, parse_time, pid_alive

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
    # models.<name>.gate: judges a promotion's candidate (raises to refuse it); see ftops.gate.promotion
    gate: Callable[[str, str, str | None], Mapping[str, Any] | None] | None = None
    who: str = field(default_factory=holder_name)  # user@host, written in each intent
    deployer: Deployer | None = None  # the management plane, when the plan deploys (Azure)

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
            self._record(step)
            self.reporter.line(f"{step.address}: adopted {step.kind} {step.object_id}")
        elif isinstance(step, PromoteModel):
            return self.promote(step)
        elif isinstance(step, DeleteModel):
            self.delete_model(step)
        elif isinstance(step, UpdateRecord):
            self._record(step)
        elif isinstance(step, ForgetResource):
            self._record(step)
            self.reporter.line(f"{step.address}: removed from the state")
        elif isinstance(step, Deploy):
            self._deployer(step.address).deploy(step)
        elif isinstance(step, DeleteDeployment):
            self._deployer(step.address).delete(step)
        else:  # pragma: no cover - the Step union is closed
            raise PlanError(f"unknown plan step {type(step).__name__}")
        return StepOutcome.DONE

    # ---- files -------------------------------------------------------------------------------

    def _record(self, step: AdoptObject | UpdateRecord | ForgetResource | DeleteFile | DeleteModel) -> None:
        """Store the record change of a step whose outcome the plan already knows."""
        self.journal.update(lambda resources: bookkeeping.after_step(resources, step))

    def _intend(self, address: str, kind: PendingKind, identity: str, *, settled: bool = False) -> None:
        """The intent to create ``address``, stored before the request is sent (again before each
        try, so its ``settled_by`` covers the latest); ``settled``: this run gave up the create,
        and none of its requests for it is still on its way from here."""
        when = now_iso()
        until = time.time() + (0.0 if settled else self.provider.capabilities.longest_request_s)
        in_flight = (format_time(until), self.who, os.getpid())
        self.journal.update(lambda r: bookkeeping.note_pending(r, address, kind, identity, when, in_flight))

    def _earlier_create(self, address: str, find: Callable[[], T | None]) -> T | None:
        """What an earlier run's create of ``address`` left in the account, if it left an intent:
        looked for once none of that run's requests can still land (issue 22: a run whose lock was
        broken may still have creates on their way), so this run never creates it a second time."""
        earlier = self.journal.records().pending.get(address)
        if earlier is None:
            return None
        wait = seconds_until_settled(earlier)
        if wait > 0:
            self.reporter.line(
                f"{address}: an earlier run ({earlier.writer}, pid {earlier.writer_pid}) was creating it "
                f"and its request may still land; waiting {wait:.0f}s (until {earlier.settled_by}) "
                "before looking for it"
            )
            if self.stop is not None:
                self.stop.wait(wait)
            else:
                self.pause(wait)
        return find()

    def _recorded(self, address: str, made: str, record: Callable[[], object]) -> None:
        """Store what a create made; if the state cannot take it, the error says what was made
        (issue 22: an upload and a job went unreported when the backend failed)."""
        try:
            record()
        except FtopsError as error:
            raise type(error)(
                f"{address}: {made}, but the state could not record it: {error.message}",
                hint="The next apply finds it in the account by its identity and adopts it.",
            ) from error

    def _seen(self, job: ObservedJob) -> None:
        """Record what the service just said about a job on the record that holds it."""
        self.journal.update(lambda resources: bookkeeping.after_job_seen(resources, job))

    def upload(self, step: UploadFile) -> None:
        def find() -> ObservedFile | None:
            return find_file(self.provider.list_files(), step.filename, set(step.supersedes))

        file = self._earlier_create(step.address, find)
        if file is not None:
            made = f"adopted {file.id}, uploaded by an earlier run"
        else:
            self._intend(step.address, "file", step.filename)
            advance = self.reporter.transfer(step.address, step.size_bytes)
            file = self._create_or_find(
                step.address, "file", step.filename,
                create=lambda: self.provider.upload(
                    Path(step.path), step.filename, step.size_bytes, progress=advance,
                    expected_sha256=step.raw_sha256,
                ),
                find=find,
            )
            self.reporter.transfer_done(step.address)
            made = f"uploaded as {file.id}"
        file_id = file.id
        self._recorded(step.address, made, lambda: self.journal.update(
            lambda resources: bookkeeping.after_upload(resources, step, file_id)))
        self.reporter.line(f"{step.address}: {made}")

    def delete_file(self, step: DeleteFile) -> None:
        gone = self.provider.delete_file(step.file_id)
        self._record(step)
        already = "" if gone else " (already gone)"
        self.reporter.line(f"{step.address}: deleted file {step.file_id}{already}")

    # ---- jobs --------------------------------------------------------------------------------

    def create_job(self, step: CreateJob) -> None:
        records = self.journal.records()
        spec = step.spec
        training_file_id = _file_id(step.address, spec.training_dataset, records.datasets)
        validation_file_id = (
            None if spec.validation_dataset is None
            else _file_id(step.address, spec.validation_dataset, records.datasets)
        )
        name = _name(step.address)
        old = records.jobs.get(name)
        known = set(step.supersedes)
        if old is not None:
            known.update((old.job_id, *old.previous_job_ids))

        def find() -> ObservedJob | None:
            return next(iter(self.provider.find_job(spec.identity, frozenset(known))), None)

        job = self._earlier_create(step.address, find)
        if job is not None:
            made = f"adopted job {job.id} ({job.status}), created by an earlier run"
        else:
            self._intend(step.address, "job", step.inputs_hash)
            job = self._create_or_find(
                step.address, "job", step.inputs_hash,
                create=lambda: self.provider.create_job(spec, training_file_id, validation_file_id),
                find=find,
            )
            made = f"created job {job.id} ({job.status})"
        created = job
        self._recorded(step.address, made, lambda: self.journal.update(
            lambda resources: bookkeeping.after_create_job(resources, step, created)))
        self.reporter.line(f"{step.address}: {made}")

    def cancel_job(self, step: CancelJob) -> None:
        try:
            job = self.provider.cancel_job(step.job_id)
        except ProviderError as error:
            # A job that finished between the plan and now cannot be cancelled, and need not be.
            job = self.provider.retrieve_job(step.job_id)
            if not job.is_terminal:
                raise error from None
        self._seen(job)
        self.reporter.line(f"{step.address}: job {step.job_id} {job.status}")

    # ---- models ------------------------------------------------------------------------------

    def promote(self, step: PromoteModel) -> StepOutcome:
        if step.model_id is not None:  # pinned to a model made elsewhere: no job to wait for
            return self._move_name(step, step.model_id, job_id="")
        assert step.job_address is not None  # a promotion names a job or a model
        record = self.journal.records().jobs.get(_name(step.job_address))
        if record is None:
            raise PlanError(f"{step.address}: {step.job_address} has no job in the state to promote from")
        job = self.provider.retrieve_job(record.job_id)
        self._seen(job)
        if not job.is_terminal:
            if self.wait is None:
                self.reporter.line(f"{step.address}: pending, {step.job_address} is {job.status}")
                return StepOutcome.PENDING
            try:
                job = wait_for_job(self.provider, step.job_address, job, self.reporter, self.wait, self.stop)
            except WaitStopped as stopped:
                self.reporter.line(str(stopped))
                return StepOutcome.PENDING
            self._seen(job)
        current = self.journal.records().models.get(_name(step.address))
        keeps = f"; {step.address} keeps {current.model_id}" if current else ""
        if job.phase is not JobPhase.SUCCEEDED or not job.fine_tuned_model:
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
        return self._move_name(step, job.fine_tuned_model, job.id)

    def _move_name(self, step: PromoteModel, model_id: str, job_id: str) -> StepOutcome:
        """The one place that decides whether a name may move to ``model_id`` (a job's new
        model or a pinned one): its checks must pass against it; then the state says so."""
        current = self.journal.records().models.get(_name(step.address))
        keeps = f"; {step.address} keeps {current.model_id}" if current else ""
        # Served through a deployment: the candidate is deployed first, and the checks and the
        # gate ask it through that deployment (the provider routes its chats there).
        deployed = None
        if step.deployment is not None:
            deployed = self._deployer(step.address).candidate(step.address, step.deployment, model_id)
        try:
            failure = run_checks(step.checks, lambda messages: self.provider.chat(model_id, messages))
            if failure is not None:
                raise CheckFailedError(failure.describe(step.address) + keeps)
            verdict = None
            if self.gate is not None:  # raises GateRefusedError unless the candidate passes
                try:
                    verdict = self.gate(_name(step.address), model_id, current.model_id if current else None)
                except GateRefusedError as refused:
                    kept = refused.verdict
                    if kept is not None:  # the name's last verdict, for status
                        self.journal.update(lambda r: bookkeeping.after_gate_refused(r, step.address, kept))
                    raise
        except (CheckFailedError, GateRefusedError):
            if deployed is not None:
                self._deployer(step.address).withdraw(step.address, deployed)
            raise
        self.journal.update(
            lambda resources: record_deployment(
                bookkeeping.after_promote(resources, step, model_id=model_id, job_id=job_id, gate=verdict),
                step.address, deployed)
        )
        if deployed is not None:  # the previous deployment goes before any prune of its model
            self._deployer(step.address).retire(step.address, current.deployment if current else None,
                                                deployed.name)
        passed = f", {len(step.checks)} check(s) passed" if step.checks else ""
        passed += f", gate {verdict['verdict']}" if verdict else ""
        self.reporter.line(f"{step.address}: now {model_id}{passed}")
        return StepOutcome.DONE

    def _deployer(self, address: str) -> Deployer:
        if self.deployer is None:
            raise PlanError(f"{address}: the plan deploys, and this provider has no deployments "
                            "(plan again against the provider the plan was made for)")
        return self.deployer

    def delete_model(self, step: DeleteModel) -> None:
        gone = self.provider.delete_model(step.model_id)
        self._record(step)
        already = "" if gone else " (already gone)"
        self.reporter.line(f"{step.address}: deleted model {step.model_id}{already}")

    # ---- creates whose answer may be lost -------------------------------------------------------

    def _create_or_find(
        self, address: str, kind: PendingKind, identity: str,
        create: Callable[[], T], find: Callable[[], T | None],
    ) -> T:
        for attempt in range(1, CREATE_TRIES + 1):
            if attempt > 1:
                # Never a new try once this run's lock is lost; and the intent covers this try.
                self._intend(address, kind, identity)
            try:
                return create()
            except FtopsError as error:
                if not isinstance(error, OutcomeUnknownError):
                    self._give_up(address, kind, identity)
                    raise
                # Give the service a moment first: an object created just now may take a
                # little while to appear in a listing, and missing it would mean a duplicate.
                # Give the service a moment first: an object created just now may take a
                # little while to appear in a listing, and missing it would mean a duplicate.
                self.pause(self.provider.lookup_delay(attempt))
                found = find()
                if found is not None:
                    self.reporter.line(f"{address}: {error}; found it in the account, adopting it")
                    return found
                if attempt == CREATE_TRIES:
                    self._give_up(address, kind, identity)
                    raise
                self.reporter.line(f"{address}: {error}; not in the account, trying again")
        raise AssertionError("unreachable")  # pragma: no cover

    def _give_up(self, address: str, kind: PendingKind, identity: str) -> None:
        """The create failed: none of this run's requests for it is on its way any more, so the
        next run need not wait for them (it still looks before creating)."""
        with contextlib.suppress(FtopsError):  # the failure itself is what the user must see
            self._intend(address, kind, identity, settled=True)


# ---- helpers ------------------------------------------------------------------------------------


def seconds_until_settled(intent: PendingRecord) -> float:
    """How long until no request of the run that wrote ``intent`` can still land: 0 when its
    writer's process is gone on this host (its requests ended with it) or it wrote no bound."""
    if intent.settled_by is None:
        return 0.0
    same_host = (intent.writer or "").rpartition("@")[2] == socket.gethostname()
    if same_host and intent.writer_pid is not None and not pid_alive(intent.writer_pid):
        return 0.0
    until = parse_time(intent.settled_by)
    return 0.0 if until is None else max(0.0, until - time.time())


def _name(address: str) -> str:
    return address.split(".", 1)[1]


def find_file(files: tuple[ObservedFile, ...], filename: str, known: set[str]) -> ObservedFile | None:
    """The oldest usable upload named ``filename`` (none of ``known``): an upload's identity."""
    matches = [f for f in files if f.filename == filename and f.usable and f.id not in known]
    return min(matches, key=lambda f: (f.created_at, f.id)) if matches else None


def find_job(jobs: tuple[ObservedJob, ...], identity: JobIdentity, known: set[str]) -> ObservedJob | None:
    """The oldest listed job that carries ``identity`` as its adapter read it (none of ``known``)."""
    matches = [
        j for j in jobs if j.identity is not None and j.identity.carries(identity) and j.id not in known
    ]
    return min(matches, key=lambda j: (j.created_at, j.id)) if matches else None


def _file_id(address: str, dataset: str, datasets: Mapping[str, DatasetRecord]) -> str:
    """The file id of ``dataset``'s upload, as the state records it."""
    record = datasets.get(dataset)
    if record is None:
        raise PlanError(f"{address}: datasets.{dataset} has no upload in the state")
    return record.file_id
