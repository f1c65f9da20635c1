"""The operations ftops needs from the fine-tuning API, each with its retry rule.

``Provider`` is the only object the rest of ftops calls; everything it returns is
a frozen ftops value (``ObservedFile``, ``ObservedJob``...), never an SDK type.
Listings page by hand so that each page is one retried request.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import openai

from ftops.errors import DatasetError, NotFoundError, ProviderError
from ftops.plan.observed import ObservedFile, ObservedJob, ObservedModel
from ftops.provider import convert
from ftops.provider.client import Connection
from ftops.provider.convert import JobEvent
from ftops.provider.retry import Kind, RetryPolicy, call
from ftops.provider.uploads import PART_SIZE, upload_in_parts
from ftops.resources import META_PROJECT, thaw

FILES_PAGE_LIMIT: Final = 10_000  # the files endpoint's maximum page
JOBS_PAGE_LIMIT: Final = 100
# Files up to this size go to the plain files endpoint; larger ones use the uploads API.
PLAIN_UPLOAD_LIMIT: Final = 512 * 1024 * 1024
JSONL_MIME: Final = "application/jsonl"
_JOB_CREATE_FIELDS: Final = frozenset(
    {"model", "training_file", "validation_file", "hyperparameters", "integrations", "metadata",
     "method", "seed", "suffix"}
)

ProgressCallback = Callable[[int], None]  # bytes newly sent


@dataclass(frozen=True, slots=True)
class ChatReply:
    """One chat answer with what evaluations record of it (``Provider.complete``)."""

    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    tool_calls: tuple[tuple[str, str], ...] = ()  # (function name, arguments as JSON text)


class Provider:
    def __init__(
        self,
        connection: Connection,
        *,
        retry: RetryPolicy | None = None,
        plain_upload_limit: int = PLAIN_UPLOAD_LIMIT,
        part_size: int = PART_SIZE,
    ) -> None:
        self._connection = connection
        self._client: openai.OpenAI = connection.client
        self.retry = retry or RetryPolicy()
        self.plain_upload_limit = plain_upload_limit
        self.part_size = part_size

    # ---- bookkeeping -----------------------------------------------------------------

    @property
    def description(self) -> str:
        return self._connection.description

    @property
    def poll_cap(self) -> float:
        """The longest sensible wait between two polls of a job: the emulator trains in seconds."""
        return 0.5 if self._connection.emulator is not None else 15.0

    @property
    def request_count(self) -> int:
        return self._connection.counter.total

    @property
    def mutating_request_count(self) -> int:
        return self._connection.counter.mutating

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> Provider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- listings (reads) ------------------------------------------------------------

    # Listings are read through the SDK's raw responses: building its typed model of every
    # object costs ~30 µs each (0.3 s per 10,000 files, seconds at 10,000 resources), and
    # ``convert`` reads only a few fields, which ``_Json`` offers by attribute just the same.

    def _pages(self, what: str, fetch: Callable[[str | None], Any]) -> Iterator[Any]:
        for items in self._page_batches(what, fetch):
            yield from items

    def _page_batches(self, what: str, fetch: Callable[[str | None], Any]) -> Iterator[list[Any]]:
        """Each page's items; the next page is requested only when the caller asks for it."""
        after: str | None = None
        while True:
            page = _json_body(call(self.retry, Kind.READ, what, functools.partial(fetch, after)), what)
            items = [_Json(item) for item in page.get("data") or [] if isinstance(item, dict)]
            yield items
            if not page.get("has_more") or not items:
                return
            after = items[-1].id

    def list_files(self, purpose: str = "fine-tune") -> tuple[ObservedFile, ...]:
        def fetch(after: str | None) -> Any:
            kwargs: dict[str, Any] = {"purpose": purpose, "limit": FILES_PAGE_LIMIT}
            if after:
                kwargs["after"] = after
            return self._client.files.with_raw_response.list(**kwargs)

        return tuple(convert.observed_file(f) for f in self._pages("list files", fetch))

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
        return tuple(j for j in jobs if j.metadata.get(META_PROJECT) == project)

    def list_models(self) -> tuple[ObservedModel, ...]:
        response = call(self.retry, Kind.READ, "list models", self._client.models.with_raw_response.list)
        page = _json_body(response, "list models")
        return tuple(convert.observed_model(_Json(m)) for m in page.get("data") or [] if isinstance(m, dict))

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
            with _ProgressFile(path, progress, reported) as stream:
                created = self._client.files.create(file=(filename, stream, JSONL_MIME), purpose="fine-tune")
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

    def create_job(self, body: Mapping[str, Any], *, what: str = "create job") -> ObservedJob:
        """Raises ``OutcomeUnknownError`` when the job may exist anyway: look for its inputs tag."""
        request = thaw(body)
        # Fields this SDK version does not know go through extra_body rather than failing.
        kwargs = {k: v for k, v in request.items() if k in _JOB_CREATE_FIELDS}
        extra = {k: v for k, v in request.items() if k not in _JOB_CREATE_FIELDS}
        if extra:
            kwargs["extra_body"] = extra
        job = call(self.retry, Kind.CREATE, what, lambda: self._client.fine_tuning.jobs.create(**kwargs))
        return convert.observed_job(job)

    def cancel_job(self, job_id: str) -> ObservedJob:
        job = call(
            self.retry, Kind.IDEMPOTENT, f"cancel job {job_id}",
            lambda: self._client.fine_tuning.jobs.cancel(job_id),
        )
        return convert.observed_job(job)

    def delete_file(self, file_id: str) -> bool:
        """False when the file was already gone (a retried delete, or deleted by hand)."""
        try:
            call(
                self.retry, Kind.IDEMPOTENT, f"delete file {file_id}",
                lambda: self._client.files.delete(file_id),
            )
        except NotFoundError:
            return False
        return True

    def delete_model(self, model_id: str) -> bool:
        """False when the model was already gone. A 403 says the Owner role is needed."""
        try:
            call(
                self.retry, Kind.IDEMPOTENT, f"delete model {model_id}",
                lambda: self._client.models.delete(model_id),
            )
        except NotFoundError:
            return False
        return True


class _Json(dict[str, Any]):
    """A JSON object read by attribute, as the SDK's models are (a missing key is an
    AttributeError, so ``getattr(obj, name, default)`` works); nested objects likewise."""

    def __getattr__(self, name: str) -> Any:
        try:
            value = self[name]
        except KeyError:
            raise AttributeError(name) from None
        return _Json(value) if isinstance(value, dict) else value

    def model_dump(self, *, exclude_none: bool = False) -> dict[str, Any]:
        """A plain dict, as the SDK's ``model_dump`` gives (nulls left out when asked)."""
        return {
            key: _Json(value).model_dump(exclude_none=exclude_none) if isinstance(value, dict) else value
            for key, value in self.items()
            if not (exclude_none and value is None)
        }


def _json_body(response: Any, what: str) -> dict[str, Any]:
    """The body of a raw SDK response as a JSON object, or one clear error."""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ProviderError(f"{what}: the service's answer is not a JSON object")
    return body


class _ProgressFile(io.FileIO):
    """A file that reports how far the upload has read it."""

    def __init__(self, path: Path, progress: ProgressCallback | None, reported: list[int]) -> None:
        super().__init__(path, "rb")
        self._progress = progress
        self._reported = reported
        self._hash = hashlib.sha256()

    def digest(self) -> str:
        return "sha256:" + self._hash.hexdigest()

    def seek(self, offset: int, whence: int = 0, /) -> int:
        # The transport rewinds before it streams (and before a resend): hash from the start.
        position = super().seek(offset, whence)
        if position == 0:
            self._hash = hashlib.sha256()
        return position

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        self._hash.update(chunk)
        position = self.tell()
        if self._progress is not None and position > self._reported[0]:
            self._progress(position - self._reported[0])
            self._reported[0] = position
        return chunk
