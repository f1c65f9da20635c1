"""OpenAI's fine-tuning API behind ``FineTuningProvider``, through the ``openai`` SDK.

Everything it returns is a frozen ftops value (``ObservedFile``, ``ObservedJob``...),
never an SDK type; everything it is given is neutral (a ``JobSpec``, not a request
body). Listings page by hand so that each page is one retried request, and each
runs through a ``PageGuard`` so that a listing always ends. Azure OpenAI is the same
API with other names (``ftops.provider.azure``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar, Final

import openai

from ftops.errors import DatasetError, NotFoundError, ProviderError, UsageError
from ftops.metrics.model import Checkpoint, JobMetrics, StepMetrics
from ftops.metrics.resultfile import parse_result_file
from ftops.plan.observed import ObservedFile, ObservedJob, ObservedModel
from ftops.provider.base import ProgressCallback
from ftops.provider.bookkeeping import ConnectedProvider
from ftops.provider.openai import convert, naming
from ftops.provider.openai.client import DEFAULT_TIMEOUT, Connection
from ftops.provider.openai.encode import job_request
from ftops.provider.openai.uploads import PART_SIZE, upload_in_parts
from ftops.provider.openai.wire import JsonObject, ProgressFile, json_body
from ftops.provider.paging import PageGuard, PagingLimits
from ftops.provider.retry import Kind, RetryPolicy, call
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
from ftops.resources import MAX_USER_METADATA_PAIRS, META_PROJECT, thaw

FILES_PAGE_LIMIT: Final = 10_000  # the files endpoint's maximum page
JOBS_PAGE_LIMIT: Final = 100
CHECKPOINTS_PAGE_LIMIT: Final = 100
RESULT_CHUNK_BYTES: Final = 64 * 1024
DOWNLOAD_CHUNK_BYTES: Final = 1024 * 1024
FINE_TUNE_PURPOSE: Final = "fine-tune"
# Files up to this size go to the plain files endpoint; larger ones use the uploads API.
PLAIN_UPLOAD_LIMIT: Final = 512 * 1024 * 1024
JSONL_MIME: Final = "application/jsonl"
_JOB_CREATE_FIELDS: Final = frozenset(
    {"model", "training_file", "validation_file", "hyperparameters", "integrations", "metadata",
     "method", "seed", "suffix"}
)
# How the service refuses to cancel a job that has already finished (cancelled included).
_REFUSED_AS_FINISHED: Final = frozenset({400, 409})
# The longest wait between two polls of a job (the interval grows up to it): a real service
# trains for minutes to hours, and a job's end is then seen within 15 s.
SERVICE_POLL_INTERVAL_S: Final = 15.0

CAPABILITIES: Final = Capabilities(
    name="openai",
    identity_store=JobIdentityStore.SERVER_FILTERED_TAGS,
    max_user_metadata_pairs=MAX_USER_METADATA_PAIRS,
    hosting=frozenset({HostingModel.SERVERLESS}),
    price_model=PriceModel.PER_TRAINING_TOKEN,
    supports_file_deletion=True,
    supports_model_deletion=True,
    supports_job_events=True,
    newest_first_job_listing=True,
    max_poll_interval_s=SERVICE_POLL_INTERVAL_S,
    secret_env_vars=("OPENAI_API_KEY",),
    longest_request_s=float(sum(part or 0.0 for part in (DEFAULT_TIMEOUT.connect, DEFAULT_TIMEOUT.write,
                                                         DEFAULT_TIMEOUT.read))),
    job_phases=naming.JOB_PHASES,
)


class OpenAIProvider(ConnectedProvider):
    """OpenAI's fine-tuning API (or any OpenAI-compatible endpoint: a gateway, the emulator)."""

    CAPABILITIES: ClassVar[Capabilities] = CAPABILITIES
    _connection: Connection  # its own SDK client (the base class needs only the bookkeeping)

    def __init__(
        self,
        connection: Connection,
        *,
        retry: RetryPolicy | None = None,
        plain_upload_limit: int = PLAIN_UPLOAD_LIMIT,
        part_size: int = PART_SIZE,
        paging: PagingLimits | None = None,
    ) -> None:
        self._connection = connection
        self._client: openai.OpenAI = connection.client
        self.retry = retry or RetryPolicy()
        self.plain_upload_limit = plain_upload_limit
        self.part_size = part_size
        self.paging = paging or PagingLimits()
        self._capabilities = self.CAPABILITIES
        if connection.max_poll_interval_s is not None:
            self._capabilities = replace(
                self.CAPABILITIES, max_poll_interval_s=connection.max_poll_interval_s
            )

    # ---- bookkeeping -----------------------------------------------------------------

    def lookup_delay(self, attempt: int) -> float:
        return self.retry.backoff(attempt)

    # ---- names ---------------------------------------------------------------------------

    def base_model_of(self, model_id: str) -> str | None:
        return naming.base_model_of(model_id)

    def looks_like_job_id(self, text: str) -> bool:
        return naming.looks_like_job_id(text)

    # ---- listings (reads) ------------------------------------------------------------

    # Listings are read through the SDK's raw responses: building its typed model of every
    # object costs ~30 µs each (0.3 s per 10,000 files, seconds at 10,000 resources), and
    # ``convert`` reads only a few fields, which ``JsonObject`` offers by attribute just the same.

    def _pages(self, what: str, fetch: Callable[[str | None], Any]) -> Iterator[Any]:
        for items in self._page_batches(what, fetch):
            yield from items

    def _page_batches(self, what: str, fetch: Callable[[str | None], Any]) -> Iterator[list[Any]]:
        """Each page's items; the next page is requested only when the caller asks for it."""
        guard = PageGuard(what, self.paging)
        after: str | None = None
        while True:
            page = json_body(call(self.retry, Kind.READ, what, functools.partial(fetch, after)), what)
            items = [JsonObject(item) for item in page.get("data") or [] if isinstance(item, dict)]
            yield items
            after = guard.next_cursor([str(item.get("id")) for item in items], bool(page.get("has_more")))
            if after is None:
                return

    def list_files(self) -> tuple[ObservedFile, ...]:
        """Every file uploaded for fine-tuning (no other purpose)."""

        def fetch(after: str | None) -> Any:
            kwargs: dict[str, Any] = {"purpose": FINE_TUNE_PURPOSE, "limit": FILES_PAGE_LIMIT}
            if after:
                kwargs["after"] = after
            return self._client.files.with_raw_response.list(**kwargs)

        files = (convert.observed_file(f) for f in self._pages("list files", fetch))
        # A service that ignored the purpose filter must not offer other files for training.
        return tuple(f for f in files if f.purpose == FINE_TUNE_PURPOSE)

    def list_jobs(self, project: str, since: int | None = None) -> tuple[ObservedJob, ...]:
        """This project's jobs only, filtered by the service on ftops's metadata tag.

        With ``since`` (a creation time), paging stops after the first page that reaches a job
        created before it: the service lists the newest first, so every later page is older
        still. A listing seen out of that order is read to its end instead."""

        def fetch(after: str | None) -> Any:
            kwargs: dict[str, Any] = {
                "limit": JOBS_PAGE_LIMIT,
                "extra_query": {f"metadata[{META_PROJECT}]": project},
            }
            if after:
                kwargs["after"] = after
            return self._client.fine_tuning.jobs.with_raw_response.list(**kwargs)

        jobs: list[ObservedJob] = []
        newest_first = True
        for page in self._page_batches("list jobs", fetch):
            for item in page:
                job = convert.observed_job(item)
                if jobs and job.created_at > jobs[-1].created_at:
                    newest_first = False
                jobs.append(job)
            if since is not None and newest_first and jobs and jobs[-1].created_at < since:
                break
        # Belt and braces: a service that ignored the filter must not make us adopt others' jobs.
        return tuple(j for j in jobs if j.identity is not None and j.identity.project == project)

    def find_job(
        self, identity: JobIdentity, exclude: frozenset[str] = frozenset()
    ) -> tuple[ObservedJob, ...]:
        """Jobs tagged with exactly this identity, oldest first (the tags are exact, so any is it)."""
        found = [
            job for job in self.list_jobs(identity.project)
            if job.identity == identity and job.id not in exclude
        ]
        return tuple(sorted(found, key=lambda j: (j.created_at, j.id)))

    def list_models(self) -> tuple[ObservedModel, ...]:
        response = call(self.retry, Kind.READ, "list models", self._client.models.with_raw_response.list)
        page = json_body(response, "list models")
        models = (JsonObject(m) for m in page.get("data") or [] if isinstance(m, dict))
        return tuple(convert.observed_model(m) for m in models)

    def list_all_jobs(self) -> tuple[ObservedJob, ...]:
        """Every fine-tuning job of the account, newest first, whoever created it (no project
        filter: what ``init --from-account`` needs to find fine-tunes made by hand)."""

        def fetch(after: str | None) -> Any:
            kwargs: dict[str, Any] = {"limit": JOBS_PAGE_LIMIT}
            if after:
                kwargs["after"] = after
            return self._client.fine_tuning.jobs.with_raw_response.list(**kwargs)

        return tuple(convert.observed_job(item) for item in self._pages("list all jobs", fetch))

    def download_file(self, file_id: str, destination: Path) -> int:
        """Stream a file's content (``GET /v1/files/{id}/content``) into ``destination``, which must
        not exist: it is created exclusively, written whole, and removed again if the download
        fails. Returns the bytes written. A refusal by the service raises ``ProviderError`` with
        its HTTP status (OpenAI refuses to return fine-tune training files to most accounts)."""
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
            size = call(self.retry, Kind.READ, f"download file {file_id}", fetch)
            # A hard link fails if the destination exists: nothing is ever overwritten, even by a race.
            os.link(partial, destination)
        finally:
            partial.unlink(missing_ok=True)
        return size

    def retrieve_job(self, job_id: str) -> ObservedJob:
        job = call(
            self.retry, Kind.READ, f"retrieve job {job_id}",
            lambda: self._client.fine_tuning.jobs.retrieve(job_id),
        )
        return convert.observed_job(job)

    def job_events(self, job_id: str, limit: int = 20) -> tuple[JobEvent, ...]:
        """The most recent events, newest first (as the service returns them)."""
        page = call(
            self.retry, Kind.READ, f"list events of job {job_id}",
            lambda: self._client.fine_tuning.jobs.list_events(job_id, limit=limit),
        )
        return tuple(convert.job_event(e) for e in page.data or [])

    def job_results(self, job_id: str, address: str | None = None) -> JobMetrics:
        """The job's result file (per-step rows, streamed and parsed as it arrives) and its
        checkpoints; a job without a result file yet is a clear error."""
        job = call(
            self.retry, Kind.READ, f"retrieve job {job_id}",
            lambda: self._client.fine_tuning.jobs.retrieve(job_id),
        )
        result_files = list(job.result_files or [])
        if not result_files:
            raise UsageError(
                f"{job_id} is {job.status} and has no result file yet: the service writes it when the "
                "job succeeds",
                hint="Wait for it first: ftops wait",
            )
        return JobMetrics(
            job_id=job_id, address=address, status=str(job.status), base_model=str(job.model),
            fine_tuned_model=job.fine_tuned_model, steps=self._result_rows(result_files[0]),
            checkpoints=self._checkpoints(job_id),
        )

    def _result_rows(self, file_id: str) -> tuple[StepMetrics, ...]:
        """A retry starts the download (and the parse) over."""

        def download() -> tuple[StepMetrics, ...]:
            with self._client.files.with_streaming_response.content(file_id) as response:
                return parse_result_file(response.iter_bytes(RESULT_CHUNK_BYTES))

        return call(self.retry, Kind.READ, f"download result file {file_id}", download)

    def _checkpoints(self, job_id: str) -> tuple[Checkpoint, ...]:
        """Every checkpoint of the job, in step order (the API pages newest first)."""

        def fetch(after: str | None) -> Any:
            kwargs: dict[str, Any] = {"limit": CHECKPOINTS_PAGE_LIMIT}
            if after:
                kwargs["after"] = after
            return self._client.fine_tuning.jobs.checkpoints.with_raw_response.list(job_id, **kwargs)

        found = [
            Checkpoint(
                id=item.id, step=int(item.step_number), model=str(item.fine_tuned_model_checkpoint),
                full_valid_loss=_optional_float(item.get("metrics"), "full_valid_loss"),
                full_valid_accuracy=_optional_float(item.get("metrics"), "full_valid_mean_token_accuracy"),
            )
            for item in self._pages(f"list checkpoints of {job_id}", fetch)
        ]
        return tuple(sorted(found, key=lambda c: c.step))

    def chat(self, model: str, messages: Sequence[Mapping[str, Any]]) -> str:
        body = [thaw(m) for m in messages]
        completion = call(
            self.retry, Kind.READ, f"chat with {model}",
            lambda: self._client.chat.completions.create(model=model, messages=body),
        )
        if not completion.choices:
            raise ProviderError(f"chat with {model}: the reply had no choices")
        return completion.choices[0].message.content or ""

    def complete(self, model: str, messages: Sequence[Mapping[str, Any]], *,
                 tools: Sequence[Mapping[str, Any]] | None = None,
                 options: Mapping[str, Any] | None = None) -> ChatReply:
        """One answer with its finish reason, token counts and tool calls. ``options``: sampling
        parameters as the API names them (temperature, seed, max_tokens), sent as given."""
        kwargs: dict[str, Any] = dict(thaw(options or {}))
        if tools is not None:
            kwargs["tools"] = [thaw(t) for t in tools]
        body = [thaw(m) for m in messages]
        completion = call(
            self.retry, Kind.READ, f"chat with {model}",
            lambda: self._client.chat.completions.create(model=model, messages=body, **kwargs),
        )
        if not completion.choices:
            raise ProviderError(f"chat with {model}: the reply had no choices")
        choice = completion.choices[0]
        usage = completion.usage
        calls = tuple(
            (call_.function.name, call_.function.arguments)
            for call_ in choice.message.tool_calls or ()
            if getattr(call_, "function", None) is not None
        )
        return ChatReply(choice.message.content or "", choice.finish_reason or "",
                         usage.prompt_tokens if usage else 0, usage.completion_tokens if usage else 0, calls)

    # ---- mutations ---------------------------------------------------------------------

    def upload(
        self, path: Path, filename: str, size: int, *, progress: ProgressCallback | None = None,
        expected_sha256: str | None = None,
    ) -> ObservedFile:
        """Upload ``path`` under ``filename`` (the identity adoption looks for), streaming it.

        With ``expected_sha256`` ("sha256:<hex>" of the bytes planned), bytes that changed since
        the plan are caught as they stream: the upload is deleted and ``DatasetError`` raised,
        so a name never holds content other than its hash says. Raises ``OutcomeUnknownError``
        when the file may exist anyway: look for it by name."""
        if size > self.plain_upload_limit:
            file = upload_in_parts(
                self._client, self.retry, path, filename, size,
                part_size=self.part_size, progress=progress, expected_sha256=expected_sha256,
            )
            return convert.observed_file(file)

        reported = [0]  # bytes already reported, so a retried attempt does not count twice
        sent_digest: list[str] = []

        def send() -> Any:
            # Opened per attempt: a retried 429 must send the whole file again from the start.
            # The SDK streams a file object in chunks (never the whole file in memory).
            with ProgressFile(path, progress, reported) as stream:
                created = self._client.files.create(
                    file=(filename, stream, JSONL_MIME), purpose=FINE_TUNE_PURPOSE
                )
                sent_digest.append(stream.digest())
                return created

        created = convert.observed_file(call(self.retry, Kind.CREATE, f"upload {filename}", send))
        if expected_sha256 is not None and sent_digest and sent_digest[-1] != expected_sha256:
            self.delete_file(created.id)
            raise DatasetError(
                f"{path}: the file changed after it was planned (sent {sent_digest[-1][:19]}..., "
                f"planned {expected_sha256[:19]}...); the upload was deleted",
                hint="Plan again.",
            )
        return created

    def create_job(self, spec: JobSpec, training_file_id: str, validation_file_id: str | None) -> ObservedJob:
        """Raises ``OutcomeUnknownError`` when the job may exist anyway: ``find_job`` looks for it."""
        request = job_request(spec, training_file_id, validation_file_id)
        # Fields this SDK version does not know go through extra_body rather than failing.
        kwargs = {k: v for k, v in request.items() if k in _JOB_CREATE_FIELDS}
        extra = {k: v for k, v in request.items() if k not in _JOB_CREATE_FIELDS}
        if extra:
            kwargs["extra_body"] = extra
        what = f"create job {spec.identity.resource or spec.identity.project}"
        job = call(self.retry, Kind.CREATE, what, lambda: self._client.fine_tuning.jobs.create(**kwargs))
        return convert.observed_job(job)

    def cancel_job(self, job_id: str) -> ObservedJob:
        """Idempotent: a job already cancelled (by an earlier try whose answer was lost, or by
        hand) is returned as it is; the service itself answers 400 to a second cancel."""
        try:
            job = call(
                self.retry, Kind.IDEMPOTENT, f"cancel job {job_id}",
                lambda: self._client.fine_tuning.jobs.cancel(job_id),
            )
        except ProviderError as error:
            if error.status not in _REFUSED_AS_FINISHED:
                raise
            seen = self.retrieve_job(job_id)
            if seen.phase is not JobPhase.CANCELLED:
                raise
            return seen
        return convert.observed_job(job)

    def delete_file(self, file_id: str) -> bool:
        """False when the file was already gone (a retried delete, or deleted by hand)."""
        return self._delete(f"delete file {file_id}", lambda: self._client.files.delete(file_id))

    def delete_model(self, model_id: str) -> bool:
        """False when the model was already gone. A 403 says the Owner role is needed."""
        return self._delete(f"delete model {model_id}", lambda: self._client.models.delete(model_id))

    def _delete(self, what: str, operation: Callable[[], Any]) -> bool:
        try:
            call(self.retry, Kind.IDEMPOTENT, what, operation)
        except NotFoundError:
            return False
        return True


def _optional_float(metrics: Any, name: str) -> float | None:
    value = metrics.get(name) if isinstance(metrics, Mapping) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
