"""Large files through the Uploads API: create an upload, send 64 MB parts in parallel, complete.

Which steps may be repeated: an Upload object makes no file until it is completed
(and an abandoned one expires), and a part only counts if its id is passed to
``complete``, so creating an upload and adding a part are retried like reads.
``complete`` makes the file, so it follows the create rule: an unknown outcome
raises ``OutcomeUnknownError`` and the caller looks for the file by name.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, Final, cast

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


class _PartReader(io.RawIOBase):
    """One part of a file as a seekable stream of its own: the SDK's multipart body reads it
    from disk 64 KiB at a time as the request is sent, so no worker holds a whole part (up to
    64 MB) in memory, and a retried request seeks back to the part's start and sends it again."""

    def __init__(self, path: Path, offset: int, length: int) -> None:
        super().__init__()
        self._file = path.open("rb")
        self._offset = offset
        self._length = length
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._length}[whence]
        self._position = max(0, min(self._length, base + offset))
        return self._position

    def readinto(self, buffer: Any, /) -> int:
        wanted = min(len(buffer), self._length - self._position)
        if wanted <= 0:
            return 0
        self._file.seek(self._offset + self._position)
        count = self._file.readinto(memoryview(buffer)[:wanted])
        self._position += count
        return count

    def close(self) -> None:
        self._file.close()
        super().close()


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
        with _PartReader(path, offset, length) as data:
            part = call(
                retry, Kind.READ, f"upload part at byte {offset} of {filename}",
                # A binary stream as the SDK takes it (RawIOBase is not typed as IO[bytes]).
                lambda: client.uploads.parts.create(upload.id, data=cast(IO[bytes], data)),
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
