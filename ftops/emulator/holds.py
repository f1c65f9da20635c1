"""A test hook: hold the answer to the k-th mutating request until the test releases it.

Crash tests need to kill a client *right after* a given request reached the
service. Polling the request log and hoping the kill lands before the next
request is racy; this hook is exact. ``arm(k)`` counts mutating API
requests (``/v1`` and ``/together``) from then on; the k-th is handled in full (the work is done and it is
in the request log) and its answer waits. ``reached`` is set at that moment, so
the test kills the client, then ``release()`` lets the answer go (to a closed
socket). Unarmed, it costs one comparison per request.
"""

from __future__ import annotations

import asyncio
import fnmatch
import threading

from ftops.emulator.requestlog import MUTATING_METHODS

MAX_HOLD_S = 60.0  # a test that forgets to release cannot hang the server for ever


class MutationHold:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._target: int | None = None
        self._path_glob = "*"
        self.reached = threading.Event()
        self._released = threading.Event()

    def arm(self, k: int, path_glob: str = "*") -> None:
        """Hold the answer to the k-th mutating request from now on (k >= 1) among those whose path
        matches ``path_glob`` (e.g. one service's job create, whatever requests come before it)."""
        if k < 1:
            raise ValueError("k counts from 1")
        with self._lock:
            self._count, self._target, self._path_glob = 0, k, path_glob
            self.reached.clear()
            self._released.clear()

    def release(self) -> None:
        """Let the held answer go and disarm."""
        with self._lock:
            self._target = None
        self._released.set()

    def claim(self, method: str, path: str = "") -> bool:
        """Count this request; true if it is the one to hold."""
        if self._target is None or method not in MUTATING_METHODS:
            return False
        with self._lock:
            if self._target is None or not fnmatch.fnmatchcase(path, self._path_glob):
                return False
            self._count += 1
            return self._count == self._target

    async def wait_released(self) -> None:
        self.reached.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + MAX_HOLD_S
        while not self._released.is_set() and loop.time() < deadline:
            await asyncio.sleep(0.005)
