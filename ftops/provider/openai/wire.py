"""The wire under the OpenAI adapter: raw JSON read as the SDK's objects are, and a file that
reports and hashes what an upload has read of it."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

from ftops.errors import ProviderError
from ftops.provider.base import ProgressCallback


class JsonObject(dict[str, Any]):
    """A JSON object read by attribute, as the SDK's models are (a missing key is an
    AttributeError, so ``getattr(obj, name, default)`` works); nested objects likewise."""

    def __getattr__(self, name: str) -> Any:
        try:
            value = self[name]
        except KeyError:
            raise AttributeError(name) from None
        return JsonObject(value) if isinstance(value, dict) else value

    def model_dump(self, *, exclude_none: bool = False) -> dict[str, Any]:
        """A plain dict, as the SDK's ``model_dump`` gives (nulls left out when asked)."""
        return {
            key: JsonObject(value).model_dump(exclude_none=exclude_none) if isinstance(value, dict) else value
            for key, value in self.items()
            if not (exclude_none and value is None)
        }


def json_body(response: Any, what: str) -> dict[str, Any]:
    """The body of a raw SDK response as a JSON object, or one clear error."""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ProviderError(f"{what}: the service's answer is not a JSON object")
    return body


class ProgressFile(io.FileIO):
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
