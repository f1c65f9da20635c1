"""SHA-256 computed off the parsing thread.

hashlib releases the GIL while it hashes a large buffer, so handing the raw chunks
and the canonical text to one background thread lets hashing run beside JSON
parsing on a second core. One worker keeps every hash's updates in order; at most
``max_pending`` updates wait, so memory stays bounded.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor


class Hashes:
    """Named SHA-256 digests, updated in order, on a background thread or inline."""

    def __init__(self, *names: str, background: bool = True, max_pending: int = 16) -> None:
        self._hashes = {name: hashlib.sha256() for name in names}
        self._pool = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="ftops-hash") if background else None
        )
        self._pending: deque[Future[None]] = deque()
        self._max_pending = max_pending

    def update(self, name: str, data: bytes) -> None:
        if self._pool is None:
            self._hashes[name].update(data)
            return
        self._pending.append(self._pool.submit(self._hashes[name].update, data))
        while len(self._pending) > self._max_pending:
            self._pending.popleft().result()

    def inline_update(self, name: str) -> Callable[[bytes], None] | None:
        """The digest's own ``update`` when hashing inline: many small updates cost less than
        joining them into one buffer first. None when hashing in the background."""
        return self._hashes[name].update if self._pool is None else None

    def hexdigests(self) -> dict[str, str]:
        """Wait for every update, then the digests as ``sha256:<hex>``."""
        self.close()
        return {name: "sha256:" + digest.hexdigest() for name, digest in self._hashes.items()}

    def close(self) -> None:
        while self._pending:
            self._pending.popleft().result()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
