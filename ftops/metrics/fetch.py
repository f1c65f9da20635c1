"""Reads the provider package does not offer: a job's result file and its checkpoints.

Each function takes the SDK client (``Connection.client`` of ``ftops.provider``)
and runs every request through the provider's read retry rule, so errors are the
same ``ftops.errors`` one-liners as everywhere else. The result file is
streamed and parsed as it arrives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ftops.metrics.model import Checkpoint, StepMetrics
from ftops.metrics.resultfile import parse_result_file
from ftops.provider.retry import Kind, RetryPolicy, call

if TYPE_CHECKING:
    import openai

CHUNK_BYTES = 64 * 1024
PAGE_SIZE = 100


def retrieve_job(client: openai.OpenAI, job_id: str, policy: RetryPolicy) -> Any:
    return call(policy, Kind.READ, f"retrieve job {job_id}",
                lambda: client.fine_tuning.jobs.retrieve(job_id))


def read_result_file(client: openai.OpenAI, file_id: str, policy: RetryPolicy) -> tuple[StepMetrics, ...]:
    """The result file's rows; a retry starts the download (and the parse) over."""

    def download() -> tuple[StepMetrics, ...]:
        with client.files.with_streaming_response.content(file_id) as response:
            return parse_result_file(response.iter_bytes(CHUNK_BYTES))

    return call(policy, Kind.READ, f"download result file {file_id}", download)


def _optional_float(metrics: Any, name: str) -> float | None:
    value = getattr(metrics, name, None) if metrics is not None else None
    return float(value) if isinstance(value, int | float) else None


def list_checkpoints(client: openai.OpenAI, job_id: str, policy: RetryPolicy) -> tuple[Checkpoint, ...]:
    """Every checkpoint of the job, in step order (the API pages newest first)."""
    found: list[Checkpoint] = []
    after: str | None = None
    while True:
        page = call(
            policy, Kind.READ, f"list checkpoints of {job_id}",
            lambda after=after: client.fine_tuning.jobs.checkpoints.list(  # type: ignore[misc]
                job_id, limit=PAGE_SIZE, **({"after": after} if after else {})
            ),
        )
        items = list(page.data or [])
        for item in items:
            found.append(Checkpoint(
                id=item.id, step=item.step_number, model=item.fine_tuned_model_checkpoint,
                full_valid_loss=_optional_float(item.metrics, "full_valid_loss"),
                full_valid_accuracy=_optional_float(item.metrics, "full_valid_mean_token_accuracy"),
            ))
        if not getattr(page, "has_more", False) or not items:
            break
        after = items[-1].id
    return tuple(sorted(found, key=lambda c: c.step))
