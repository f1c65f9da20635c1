"""Together AI's fine-tuning API behind ``FineTuningProvider``, through the ``together`` SDK.

Everything it returns is a frozen ftops value, never an SDK type; everything it is given is
neutral (a ``JobSpec``). Together's jobs carry no metadata: a job's identity is derived from
its suffix and its training file's name (``ftops.provider.together.identity``). Together does
not page its listings; each still runs through a ``PageGuard``, which would follow a cursor
if the service ever answered ``has_more`` and stops one that does not advance.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar, Final

import httpx

from ftops.errors import DatasetError, NotFoundError, ProviderError, UsageError
from ftops.metrics.model import Checkpoint, JobMetrics, StepMetrics
from ftops.plan.observed import ObservedFile, ObservedJob, ObservedModel
from ftops.provider.base import ProgressCallback
from ftops.provider.bookkeeping import ConnectedProvider
from ftops.provider.paging import PageGuard, PagingLimits
from ftops.provider.retry import Kind, RetryPolicy, call
from ftops.provider.together import convert, naming
from ftops.provider.together.client import DEFAULT_TIMEOUT, KEY_VARIABLE, Connection
from ftops.provider.together.encode import create_arguments
from ftops.provider.together.endpoints import TogetherEndpoints
from ftops.provider.together.errors import TOGETHER_ERRORS, connection_error
from ftops.provider.types import (
    Capabilities,
    ChatReply,
    HostingModel,
    JobEvent,
    JobIdentity,
    JobIdentityStore,
    JobPhase,
    JobSpec,
    PriceModel,
)
from ftops.resources import thaw
from ftops.secrets import redact

FINE_TUNE_PURPOSE: Final = "fine-tune"
DOWNLOAD_CHUNK_BYTES: Final = 1024 * 1024
SERVICE_POLL_INTERVAL_S: Final = 15.0

CAPABILITIES: Final = Capabilities(
    name="together",
    identity_store=JobIdentityStore.DERIVED,
    max_user_metadata_pairs=0,
    # A LoRA fine-tune of some base models answers serverless by its name; others (and full
    # fine-tunes) need a dedicated endpoint, billed by the hour.
    hosting=frozenset({HostingModel.SERVERLESS, HostingModel.ENDPOINT}),
    price_model=PriceModel.PER_TRAINING_TOKEN,
    supports_file_deletion=True,
    # Deleting the job that made it: Together (v1) has no other model deletion (docs/together.md).
    supports_model_deletion=True,
    supports_job_events=True,
    newest_first_job_listing=False,  # no paging: every listing is read whole
    max_poll_interval_s=SERVICE_POLL_INTERVAL_S,
    secret_env_vars=(KEY_VARIABLE,),
    longest_request_s=float(sum(part or 0.0 for part in (DEFAULT_TIMEOUT.connect, DEFAULT_TIMEOUT.write,
                                                         DEFAULT_TIMEOUT.read))),
    job_phases=naming.JOB_PHASES,
)


class TogetherProvider(ConnectedProvider):
    """Together AI's fine-tuning API (or a gateway in front of it, or the emulator's ``/together``)."""

    CAPABILITIES: ClassVar[Capabilities] = CAPABILITIES
    _connection: Connection  # its own SDK client (the base class needs only the bookkeeping)

    def __init__(self, connection: Connection, *, retry: RetryPolicy | None = None,
                 paging: PagingLimits | None = None) -> None:
        self._connection = connection
        self._client = connection.client
        self.retry = retry or RetryPolicy()
        self.paging = paging or PagingLimits()
        self._capabilities = self.CAPABILITIES
        if connection.max_poll_interval_s is not None:
            self._capabilities = replace(
                self.CAPABILITIES, max_poll_interval_s=connection.max_poll_interval_s
            )
        # The last job listing, which ``list_models`` reads instead of asking for it again (a
        # refresh lists files, jobs, then models: each listing is read once) unless a mutation came
        # between; and every job seen, whose output model names its base (``base_model_of``).
        self._jobs_for_models: list[dict[str, Any]] | None = None
        self._seen_jobs: list[dict[str, Any]] = []

    # ---- bookkeeping -----------------------------------------------------------------

    def endpoints(self, project_id: str, project: str) -> TogetherEndpoints:
        """Dedicated endpoints of the Together project ``project_id``, over this adapter's client."""
        return TogetherEndpoints(self._connection, project_id, project, self.retry)

    def lookup_delay(self, attempt: int) -> float:
        return self.retry.backoff(attempt)

    def _call(self, kind: Kind, what: str, operation: Callable[[], Any]) -> Any:
        return call(self.retry, kind, what, operation, TOGETHER_ERRORS)

    def _read(self, what: str, operation: Callable[[], Any]) -> dict[str, Any]:
        """One read, as the JSON object it answered."""

        def fetch() -> Any:
            return operation().json()

        body = self._call(Kind.READ, what, fetch)
        if not isinstance(body, dict):
            raise ProviderError(f"{what}: the service's answer is not a JSON object")
        return body

    def _listing(self, what: str, fetch: Callable[[str | None], Any]) -> Iterator[dict[str, Any]]:
        guard = PageGuard(what, self.paging)
        after: str | None = None
        while True:
            page = self._read(what, functools.partial(fetch, after))
            items = [item for item in page.get("data") or [] if isinstance(item, dict)]
            yield from items
            after = guard.next_cursor([str(item.get("id")) for item in items], bool(page.get("has_more")))
            if after is None:
                return

    @staticmethod
    def _after(after: str | None) -> dict[str, Any]:
        return {"extra_query": {"after": after}} if after else {}

    # ---- names ---------------------------------------------------------------------------

    def base_model_of(self, model_id: str) -> str | None:
        known = naming.base_model_of(model_id)
        if known is not None:
            return known
        for job in self._seen_jobs:  # a base the table does not know: the job that made it
            if convert.output_model(job) == model_id:
                return str(job.get("model") or "") or None
        return None

    def looks_like_job_id(self, text: str) -> bool:
        return naming.looks_like_job_id(text)

    # ---- listings (reads) ------------------------------------------------------------

    def list_files(self) -> tuple[ObservedFile, ...]:
        """Every file uploaded for fine-tuning (the service's listing has no purpose filter)."""
        items = list(self._listing(
            "list files", lambda after: self._client.files.with_raw_response.list(**self._after(after))
        ))
        files = tuple(convert.observed_file(item) for item in items)
        return tuple(f for f in files if f.purpose == FINE_TUNE_PURPOSE)

    def _all_job_items(self) -> list[dict[str, Any]]:
        items = list(self._listing(
            "list jobs", lambda after: self._client.fine_tuning.with_raw_response.list(**self._after(after))
        ))
        self._jobs_for_models = self._seen_jobs = items
        return items

    def list_jobs(self, project: str, since: int | None = None) -> tuple[ObservedJob, ...]:
        """Every job with ftops's token in its suffix, each known by its digest only (project
        ""): no name the service keeps says the project for sure, and the digest covers it
        (``JobIdentity.carries``; the planner keeps the jobs whose identity it knows). ``since``
        is ignored: the listing is one page."""
        jobs = (convert.observed_job(item) for item in self._all_job_items())
        return tuple(j for j in jobs if j.identity is not None)

    def find_job(
        self, identity: JobIdentity, exclude: frozenset[str] = frozenset()
    ) -> tuple[ObservedJob, ...]:
        """Jobs that carry ``identity``, oldest first: the digest in the suffix matches project,
        resource and inputs."""
        found = [
            job for job in self.list_jobs(identity.project)
            if job.identity is not None and job.identity.carries(identity) and job.id not in exclude
        ]
        return tuple(sorted(found, key=lambda j: (j.created_at, j.id)))

    def list_models(self) -> tuple[ObservedModel, ...]:
        """The base models the service fine-tunes (``GET /v1/fine-tunes/models/supported``), and
        the output of each completed job (Together's v1 API lists no fine-tuned models). Reads
        the job listing the refresh just read, if no mutation came since."""
        items, self._jobs_for_models = self._jobs_for_models, None
        if items is None:
            items = self._all_job_items()
            self._jobs_for_models = None
        bases = tuple(ObservedModel(id=name, owned_by="together", created=0) for name in self._base_models())
        jobs = (convert.observed_job(item) for item in items)
        return bases + tuple(convert.observed_model(j) for j in jobs if j.fine_tuned_model is not None)

    def _base_models(self) -> tuple[str, ...]:
        """The service's list; where it has none (a gateway without that path), ftops's own table."""
        try:
            page = self._read("list supported models", lambda: self._client.get(
                "/v1/fine-tunes/models/supported", cast_to=httpx.Response))
        except NotFoundError:
            return naming.BASE_MODELS
        return tuple(str(name) for name in page.get("models") or () if isinstance(name, str) and name)

    def list_all_jobs(self) -> tuple[ObservedJob, ...]:
        items = self._all_job_items()
        jobs = [convert.observed_job(item) for item in items]
        return tuple(sorted(jobs, key=lambda j: (j.created_at, j.id), reverse=True))

    def download_file(self, file_id: str, destination: Path) -> int:
        """Stream a file's content into ``destination``, which must not exist (created exclusively,
        written whole, removed again if the download fails)."""
        partial = destination.with_name(destination.name + ".part")

        def fetch() -> int:
            with self._client.files.with_streaming_response.content(file_id) as response, \
                    partial.open("wb") as out:
                written = 0
                for chunk in response.iter_bytes(DOWNLOAD_CHUNK_BYTES):
                    out.write(chunk)
                    written += len(chunk)
                return written

        try:
            size: int = self._call(Kind.READ, f"download file {file_id}", fetch)
            os.link(partial, destination)
        finally:
            partial.unlink(missing_ok=True)
        return size

    def _job_item(self, job_id: str) -> dict[str, Any]:
        return self._read(
            f"retrieve job {job_id}", lambda: self._client.fine_tuning.with_raw_response.retrieve(job_id)
        )

    def retrieve_job(self, job_id: str) -> ObservedJob:
        return convert.observed_job(self._job_item(job_id))

    def job_events(self, job_id: str, limit: int = 20) -> tuple[JobEvent, ...]:
        """The most recent events, newest first (Together lists them oldest first), with the
        training loss its metrics give: Together's events carry none. Each event that names a
        step gets the loss of the newest training snapshot at or before it; while the job trains
        past the last such event, a progress line of the newest snapshot leads."""
        page = self._read(f"list events of job {job_id}",
                          lambda: self._client.fine_tuning.with_raw_response.list_events(job_id))
        items = [item for item in page.get("data") or [] if isinstance(item, dict)]
        events = [convert.job_event(item, index) for index, item in enumerate(items)]
        if not events:
            return ()
        total = max((convert.total_steps(item) for item in items), default=0) or None
        return tuple(reversed(self._with_losses(job_id, events, total)))[:limit]

    def _with_losses(self, job_id: str, events: list[JobEvent], total: int | None) -> list[JobEvent]:
        try:
            steps = self._steps(job_id)
        except NotFoundError:  # a gateway that does not pass the metrics on: steps without loss
            return events
        trained = [s for s in steps if s.train_loss is not None]

        def loss_at(step: int) -> float | None:
            return next((s.train_loss for s in reversed(trained) if s.step <= step), None)

        out = [replace(e, train_loss=loss_at(e.step)) if e.step is not None else e for e in events]
        newest = convert.latest_training_step(trained)
        stepped = [e for e in events if e.step is not None]
        if newest is not None and newest.step > max((e.step or 0 for e in stepped), default=0):
            of_total = f"/{total}" if total else ""
            out.append(JobEvent(
                id=f"metrics-{newest.step}", created_at=events[-1].created_at, level="info",
                message=f"Step {newest.step}{of_total}: training loss={newest.train_loss:.4f}",
                step=newest.step, total_steps=total, train_loss=newest.train_loss,
            ))
        return out

    def job_results(self, job_id: str, address: str | None = None) -> JobMetrics:
        """A completed job's curves (``GET /v1/fine-tunes/{id}/metrics``: training loss by step,
        the validation file's loss where the job evaluated it) and its checkpoints; a job that
        has not completed is a clear error."""
        item = self._job_item(job_id)
        job = convert.observed_job(item)
        if job.phase is not JobPhase.SUCCEEDED:
            raise UsageError(
                f"{job_id} is {job.status} and has no results yet: Together keeps them when the job "
                "completes",
                hint="Wait for it first: ftops wait",
            )
        return JobMetrics(
            job_id=job_id, address=address, status=job.status, base_model=job.model,
            fine_tuned_model=job.fine_tuned_model, steps=self._steps(job_id),
            checkpoints=self._checkpoints(job_id, convert.output_model(item)),
        )

    def _steps(self, job_id: str) -> tuple[StepMetrics, ...]:
        page = self._read(f"list metrics of {job_id}",
                          lambda: self._client.fine_tuning.with_raw_response.list_metrics(job_id))
        return convert.step_metrics(page.get("metrics"))

    def _checkpoints(self, job_id: str, output: str | None) -> tuple[Checkpoint, ...]:
        """In step order. An intermediate one is named ``<job>:<step>`` (what ``from_checkpoint``
        takes); the final one is the output model."""
        page = self._read(f"list checkpoints of {job_id}",
                          lambda: self._client.fine_tuning.with_raw_response.list_checkpoints(job_id))
        found = []
        for item in page.get("data") or []:
            if not isinstance(item, dict) or not isinstance(item.get("step"), int):
                continue
            step = int(item["step"])
            intermediate = "intermediate" in str(item.get("checkpoint_type") or "").lower()
            name = f"{job_id}:{step}" if intermediate or not output else output
            found.append(Checkpoint(id=f"{job_id}:{step}", step=step, model=name))
        return tuple(sorted(found, key=lambda c: c.step))

    def chat(self, model: str, messages: Sequence[Mapping[str, Any]]) -> str:
        return self.complete(model, messages).text

    def complete(self, model: str, messages: Sequence[Mapping[str, Any]], *,
                 tools: Sequence[Mapping[str, Any]] | None = None,
                 options: Mapping[str, Any] | None = None) -> ChatReply:
        """One answer with its finish reason, token counts and tool calls. ``options``: sampling
        parameters as the API names them (temperature, seed, max_tokens), sent as given."""
        kwargs: dict[str, Any] = dict(thaw(options or {}))
        if tools is not None:
            kwargs["tools"] = [thaw(t) for t in tools]
        body = [thaw(m) for m in messages]
        completion = self._call(
            Kind.READ, f"chat with {model}",
            lambda: self._client.chat.completions.create(model=model, messages=body, **kwargs),
        )
        if not completion.choices:
            raise ProviderError(f"chat with {model}: the reply had no choices")
        choice = completion.choices[0]
        message = choice.message
        usage = completion.usage
        calls = tuple(
            (call_.function.name, call_.function.arguments)
            for call_ in (getattr(message, "tool_calls", None) or ())
            if getattr(call_, "function", None) is not None
        )
        return ChatReply(
            str(getattr(message, "content", None) or ""), str(choice.finish_reason or ""),
            int(usage.prompt_tokens or 0) if usage else 0, int(usage.completion_tokens or 0) if usage else 0,
            calls,
        )

    # ---- mutations ---------------------------------------------------------------------

    def upload(
        self, path: Path, filename: str, size: int, *, progress: ProgressCallback | None = None,
        expected_sha256: str | None = None,
    ) -> ObservedFile:
        """Upload ``path`` under ``filename`` through the SDK's flow (register with the sha256, PUT
        the bytes, preprocess). The service answers a file it already holds (same sha256) with the
        first upload of those bytes, which the SDK returns: uploading is never done twice, and the
        file returned may bear another name (``docs/together.md``).

        With ``expected_sha256``, bytes that differ from the plan's are refused before anything is
        sent, and checked again after (the upload deleted if they changed meanwhile). Raises
        ``OutcomeUnknownError`` when the file may exist anyway: look for it by name."""
        self._check_unchanged(path, expected_sha256, sent=None)
        reported = [0]

        def on_progress(event: Any) -> None:
            done = int(getattr(event, "uploaded_bytes", 0) or 0)
            if progress is not None and done > reported[0]:
                progress(done - reported[0])
                reported[0] = done

        def send() -> Any:
            # The SDK names the upload after the path it reads: a link under ftops's name.
            with tempfile.TemporaryDirectory(prefix="ftops-upload-") as folder:
                named = Path(folder) / filename
                named.symlink_to(path.resolve())
                try:
                    return self._client.files.upload(
                        file=named, purpose=FINE_TUNE_PURPOSE, check=False, progress_callback=on_progress
                    )
                except httpx.TransportError as dropped:  # the PUT of the bytes
                    raise connection_error(dropped) from dropped
                except (ValueError, OSError) as refused:  # the SDK's own checks of the answers
                    raise ProviderError(f"upload {filename}: {redact(str(refused))}") from refused

        created = convert.observed_file(self._call(Kind.CREATE, f"upload {filename}", send))
        self._check_unchanged(path, expected_sha256, sent=created)
        return created

    def _check_unchanged(self, path: Path, expected_sha256: str | None, sent: ObservedFile | None) -> None:
        if expected_sha256 is None:
            return
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(DOWNLOAD_CHUNK_BYTES), b""):
                digest.update(block)
        found = "sha256:" + digest.hexdigest()
        if found == expected_sha256:
            return
        if sent is not None:
            self.delete_file(sent.id)
        raise DatasetError(
            f"{path}: the file changed after it was planned (now {found[:19]}..., planned "
            f"{expected_sha256[:19]}...){'; the upload was deleted' if sent is not None else ''}",
            hint="Plan again.",
        )

    def create_job(self, spec: JobSpec, training_file_id: str, validation_file_id: str | None) -> ObservedJob:
        """The SDK reads the model's limits and a price estimate, then creates. Raises
        ``OutcomeUnknownError`` when the job may exist anyway: ``find_job`` looks for it."""
        arguments = create_arguments(spec, training_file_id, validation_file_id)
        what = f"create job {spec.identity.resource or spec.identity.project}"

        def create() -> Any:
            try:
                return self._client.fine_tuning.create(**arguments)
            except ValueError as refused:  # the SDK's own checks against the model's limits
                raise UsageError(f"{what}: {refused}") from refused

        self._jobs_for_models = None
        job = self._call(Kind.CREATE, what, create)
        item = job.model_dump(by_alias=True) if hasattr(job, "model_dump") else dict(job)
        return convert.observed_job(item)

    def cancel_job(self, job_id: str) -> ObservedJob:
        """Idempotent: a job already cancelled (by an earlier try whose answer was lost, or by hand)
        is returned as it is; the service answers 400 to a cancel of a finished job."""
        self._jobs_for_models = None
        try:
            job = self._call(Kind.IDEMPOTENT, f"cancel job {job_id}",
                             lambda: self._client.fine_tuning.cancel(job_id))
        except ProviderError as refused:
            if refused.status != 400:
                raise
            seen = self.retrieve_job(job_id)
            if seen.phase is not JobPhase.CANCELLED:
                raise
            return seen
        item = job.model_dump(by_alias=True) if hasattr(job, "model_dump") else dict(job)
        return convert.observed_job(item)

    def delete_file(self, file_id: str) -> bool:
        return self._delete(f"delete file {file_id}", lambda: self._client.files.delete(file_id))

    def delete_model(self, model_id: str) -> bool:
        """Together (v1) deletes a fine-tuned model with the job that made it: the job's record,
        checkpoints and output go. False when no job of the account has it (already gone)."""
        makers = [
            str(item.get("id")) for item in self._all_job_items()
            if convert.output_model(item) == model_id
            and convert.observed_job(item).phase is JobPhase.SUCCEEDED
        ]
        self._jobs_for_models = None
        if not makers:
            return False
        gone = [self._delete(f"delete model {model_id} (job {job_id})",
                             functools.partial(self._client.fine_tuning.delete, job_id))
                for job_id in makers]
        return any(gone)

    def _delete(self, what: str, operation: Callable[[], Any]) -> bool:
        try:
            self._call(Kind.IDEMPOTENT, what, operation)
        except NotFoundError:
            return False
        return True

