"""The interface every fine-tuning service implements: ``FineTuningProvider``.

The planner and the executor call only this Protocol and read only neutral values
(``ftops.provider.types``, ``ftops.plan.observed``); an adapter owns everything about
its service: the SDK, request bodies, id formats, status words, and where a job's
identity is stored. Every operation raises only errors of ``ftops.errors``.

The one contract each mutation keeps: a create raises ``OutcomeUnknownError`` when
the object may exist anyway (the caller then looks for it: ``find_job``, or an upload
by its file name), and is never repeated blindly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from ftops.metrics.model import JobMetrics
from ftops.plan.observed import ObservedFile, ObservedJob, ObservedModel
from ftops.provider.types import Capabilities, ChatReply, JobEvent, JobIdentity, JobSpec

ProgressCallback = Callable[[int], None]  # bytes newly sent


class FineTuningProvider(Protocol):
    @property
    def capabilities(self) -> Capabilities: ...

    @property
    def description(self) -> str:
        """Which service and where, for messages (e.g. "emulator http://127.0.0.1:PORT/v1"); no key."""
        ...

    @property
    def request_count(self) -> int:
        """Every HTTP request sent so far, retries included."""
        ...

    @property
    def mutating_request_count(self) -> int: ...

    def close(self) -> None: ...

    def __enter__(self) -> FineTuningProvider: ...

    def __exit__(self, *exc: object) -> None: ...

    # ---- reads: one refresh is these three listings, whatever the number of resources ----

    def list_files(self) -> tuple[ObservedFile, ...]:
        """Every file uploaded for fine-tuning."""
        ...

    def list_jobs(self, project: str, since: int | None = None) -> tuple[ObservedJob, ...]:
        """This project's jobs (by the identity the adapter stored), each with its ``identity``.
        Where the identity is derived (``JobIdentityStore.DERIVED``) and the service's names do
        not say a job's project, the jobs that may be this project's, with project "" and a
        digest (``JobIdentity.carries`` tells; the planner keeps those it knows). ``since``: only jobs
        created since then are needed (used when the capabilities say the listing is newest first)."""
        ...

    def list_models(self) -> tuple[ObservedModel, ...]: ...

    def retrieve_job(self, job_id: str) -> ObservedJob: ...

    # ---- reads across the whole account (``init --from-account``; never a plan) ----

    def list_all_jobs(self) -> tuple[ObservedJob, ...]:
        """Every fine-tuning job of the account, whoever created it, newest first."""
        ...

    def download_file(self, file_id: str, destination: Path) -> int:
        """Stream a file's content into ``destination`` (which must not exist: nothing is ever
        overwritten); returns the bytes written. A refusal raises ``ProviderError``."""
        ...

    def job_events(self, job_id: str, limit: int) -> tuple[JobEvent, ...]:
        """The most recent events, newest first."""
        ...

    def job_results(self, job_id: str, address: str | None = None) -> JobMetrics:
        """A finished job's training curves (per-step rows and checkpoints); ``UsageError``
        when the service has no results for it yet."""
        ...

    def chat(self, model: str, messages: Sequence[Mapping[str, Any]]) -> str: ...

    def complete(self, model: str, messages: Sequence[Mapping[str, Any]], *,
                 tools: Sequence[Mapping[str, Any]] | None = None,
                 options: Mapping[str, Any] | None = None) -> ChatReply:
        """One answer with its finish reason, token counts and tool calls (for evaluations)."""
        ...

    # ---- what only the adapter knows about its service's names ----

    def base_model_of(self, model_id: str) -> str | None:
        """The base model a fine-tuned model id was trained from; None for a base model."""
        ...

    def looks_like_job_id(self, text: str) -> bool: ...

    def find_job(
        self, identity: JobIdentity, exclude: frozenset[str] = frozenset()
    ) -> tuple[ObservedJob, ...]:
        """The jobs in the account carrying ``identity`` (none of ``exclude``), oldest first:
        how a create whose answer was lost is found instead of made twice."""
        ...

    def lookup_delay(self, attempt: int) -> float:
        """How long to wait before looking again for an object a lost answer may have made."""
        ...

    # ---- mutations ----

    def upload(
        self, path: Path, filename: str, size: int, *, progress: ProgressCallback | None = None,
        expected_sha256: str | None = None,
    ) -> ObservedFile:
        """Upload under ``filename`` (the identity adoption looks for). With ``expected_sha256``,
        bytes that changed since the plan raise ``DatasetError`` (the upload is deleted)."""
        ...

    def create_job(self, spec: JobSpec, training_file_id: str, validation_file_id: str | None) -> ObservedJob:
        """Store ``spec.identity`` with the job so that ``list_jobs`` and ``find_job`` see it."""
        ...

    def cancel_job(self, job_id: str) -> ObservedJob: ...

    def delete_file(self, file_id: str) -> bool:
        """False when it was already gone."""
        ...

    def delete_model(self, model_id: str) -> bool:
        """False when it was already gone."""
        ...
