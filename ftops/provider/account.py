"""Reads across the whole account, beyond one project's tagged objects: what
``ftops init --from-account`` needs to find fine-tunes made by hand.

Kept apart from ``Provider``'s planning operations on purpose: these read every job of
the account (no project filter) and download training files, which no plan ever does.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Final

from ftops.plan.observed import ObservedJob
from ftops.provider import convert
from ftops.provider.api import JOBS_PAGE_LIMIT, Provider, _Json, _json_body
from ftops.provider.retry import Kind, call

_CHUNK: Final = 1024 * 1024


def list_all_jobs(provider: Provider) -> tuple[ObservedJob, ...]:
    """Every fine-tuning job of the account, newest first, whoever created it."""
    client = provider._client
    jobs: list[ObservedJob] = []
    after: str | None = None
    while True:
        kwargs: dict[str, Any] = {"limit": JOBS_PAGE_LIMIT}
        if after:
            kwargs["after"] = after
        request = functools.partial(client.fine_tuning.jobs.with_raw_response.list, **kwargs)
        response = call(provider.retry, Kind.READ, "list all jobs", request)
        page = _json_body(response, "list all jobs")
        items = [_Json(item) for item in page.get("data") or [] if isinstance(item, dict)]
        jobs.extend(convert.observed_job(item) for item in items)
        if not page.get("has_more") or not items:
            return tuple(jobs)
        after = items[-1].id


def download_file(provider: Provider, file_id: str, destination: Path) -> int:
    """Stream a file's content (``GET /v1/files/{id}/content``) into ``destination``, which must
    not exist: it is created exclusively, written whole, and removed again if the download
    fails. Returns the bytes written. A refusal by the service raises ``ProviderError`` with
    its HTTP status (OpenAI refuses to return fine-tune training files to most accounts)."""
    client = provider._client
    partial = destination.with_name(destination.name + ".part")

    def fetch() -> int:
        with client.files.with_streaming_response.content(file_id) as response, partial.open("wb") as out:
            written = 0
            for chunk in response.iter_bytes(_CHUNK):
                out.write(chunk)
                written += len(chunk)
            return written

    try:
        size = call(provider.retry, Kind.READ, f"download file {file_id}", fetch)
        # A hard link fails if the destination exists: nothing is ever overwritten, even by a race.
        os.link(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return size
