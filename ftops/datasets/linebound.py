"""The longest line a dataset may have, and the unfinished line the streaming pass carries.

No example the service trains on comes near ``MAX_LINE_BYTES``: the largest it takes
holds 10 images of at most 10 MB each, inline as base64 data URLs (OpenAI's vision
fine-tuning guide), which is about 140 MB, and text. A longer line cannot be trained on,
and parsing it would cost several times its size in memory (a 200 MB line took 10 GB),
so the pass refuses it at its line number without keeping or parsing it: beyond the
bound only its length and its SHA-256 are kept.

Text has a bound of its own, ``MAX_TEXT_CHARS``: the largest context of the models
(262,144 tokens) at 32 characters a token, far beyond what a training example can hold
(the service cuts one at its token limit, 65,536 tokens for most models). An example
with more text is refused before its text reaches the token counter, whose work and
memory grow with the length of a text. So a line costs at most a few times the line
bound to parse, whatever the input.
"""

from __future__ import annotations

import hashlib
from typing import Final

MAX_IMAGES_PER_EXAMPLE: Final = 10
MAX_IMAGE_BYTES: Final = 10 * 1024 * 1024
_BASE64_IMAGE_BYTES: Final = 4 * -(-MAX_IMAGE_BYTES // 3)
MAX_TEXT_CHARS: Final = 262_144 * 32  # 8 Mi characters
MAX_LINE_BYTES: Final = MAX_IMAGES_PER_EXAMPLE * _BASE64_IMAGE_BYTES + MAX_TEXT_CHARS  # 148 MB


class PendingLine:
    """The start of a line that the chunks read so far have not finished.

    Up to ``bound`` bytes its parts are kept, to be joined once the line ends; past the
    bound they are dropped and only the line's length and digest go on growing.
    """

    def __init__(self, bound: int) -> None:
        self.bound = bound
        self.parts: list[bytes] = []
        self.size = 0
        self.digest: hashlib._Hash | None = None  # set once the line is over the bound

    @property
    def open(self) -> bool:
        return self.size > 0

    @property
    def overlong(self) -> bool:
        return self.digest is not None

    def add(self, data: bytes) -> None:
        if not data:
            return
        self.size += len(data)
        if self.digest is not None:
            self.digest.update(data)
            return
        self.parts.append(data)
        if self.size > self.bound:
            self.digest = hashlib.sha256()
            for part in self.parts:
                self.digest.update(part)
            self.parts = []

    def take(self) -> bytes:
        """The finished line (within the bound) with its newline, in one copy; and reset."""
        line = b"".join([*self.parts, b"\n"])
        self.reset()
        return line

    def reset(self) -> None:
        self.parts = []
        self.size = 0
        self.digest = None
