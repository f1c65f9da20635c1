"""Large files through the Uploads API: create an upload, send 64 MB parts in parallel, complete.

Which steps may be repeated: an Upload object makes no file until it is completed
(and an abandoned one expires), and a part only counts if its id is passed to
``complete``, so creating an upload and adding a part are retried like reads.
``complete`` makes the file, so it follows the create rule: an unknown outcome
raises ``OutcomeUnknownError`` and the caller looks for the file by name.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

import openai

from ftops.provider.retry import Kind, RetryPolicy, call

PART_SIZE: Final = 64 * 1024 * 1024  # the service's maximum part size
PART_WORKERS: Final = 4


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
) -> Any:
    """Returns the completed upload's ``file`` object."""
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
    completed = call(
        retry, Kind.CREATE, f"complete upload {filename}",
        lambda: client.uploads.complete(upload.id, part_ids=part_ids),
    )
    if completed.file is None:
        from ftops.errors import ProviderError

        raise ProviderError(f"complete upload {filename}: the service returned no file")
    return completed.file
