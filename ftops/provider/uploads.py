"""Large files through the Uploads API: create an upload, send 64 MB parts in parallel, complete.

Which steps may be repeated: an Upload object makes no file until it is completed
(and an abandoned one expires), and a part only counts if its id is passed to
``complete``, so creating an upload and adding a part are retried like reads.
``complete`` makes the file, so it follows the create rule: an unknown outcome
raises ``OutcomeUnknownError`` and the caller looks for the file by name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

import openai

from ftops.errors import DatasetError, ProviderError
from ftops.provider.retry import Kind, RetryPolicy, call

PART_SIZE: Final = 64 * 1024 * 1024  # the service's maximum part size
PART_WORKERS: Final = 4


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def _read_part(path: Path, offset: int, length: int) -> bytes:
    # One part in memory at a time per worker (≤ 64 MB each): the API takes a part as one body.
    with path.open("rb") as stream:
        stream.seek(offset)
        return stream.read(length)


def upload_in_parts(
    client: openai.OpenAI,
    retry: RetryPolicy,
    path: Path,
    filename: str,
    size: int,
    *,
    part_size: int = PART_SIZE,
    workers: int = PART_WORKERS,
    progress: Callable[[int], None] | None = None,
    expected_sha256: str | None = None,
) -> Any:
    """Returns the completed upload's ``file`` object. With ``expected_sha256``, the file is
    hashed again (in order) after its parts were sent and before completing: a file changed
    since it was planned cancels the upload, so no file is made."""
    upload = call(
        retry, Kind.READ, f"start upload {filename}",
        lambda: client.uploads.create(bytes=size, filename=filename, mime_type="application/jsonl",
                                      purpose="fine-tune"),
    )
    offsets = list(range(0, size, part_size)) or [0]

    def send(offset: int) -> str:
        length = min(part_size, size - offset)
        data = _read_part(path, offset, length)
        part = call(
            retry, Kind.READ, f"upload part at byte {offset} of {filename}",
            lambda: client.uploads.parts.create(upload.id, data=data),
        )
        if progress is not None:
            progress(length)
        return str(part.id)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        part_ids = list(pool.map(send, offsets))  # map keeps the file's order
    if expected_sha256 is not None:
        found = _sha256_of(path)
        if found != expected_sha256:
            call(retry, Kind.IDEMPOTENT, f"cancel upload {filename}",
                 lambda: client.uploads.cancel(upload.id))
            raise DatasetError(
                f"{path}: the file changed after it was planned (now {found[:19]}..., planned "
                f"{expected_sha256[:19]}...); the upload was cancelled",
                hint="Plan again.",
            )
    completed = call(
        retry, Kind.CREATE, f"complete upload {filename}",
        lambda: client.uploads.complete(upload.id, part_ids=part_ids),
    )
    if completed.file is None:
        raise ProviderError(f"complete upload {filename}: the service returned no file")
    return completed.file
