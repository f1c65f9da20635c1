"""The emulator's log of API requests, so tests can count what a command sent.

Kept in memory (a restart starts a fresh log) and bounded. Admin requests
(``/_emulator/...``) are not logged, so reading the log never changes it.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_RECORDS = 100_000


@dataclass(frozen=True, slots=True)
class RequestRecord:
    method: str
    path: str
    query: str
    status: int  # 0 when the connection was dropped without a response
    fault: str | None  # the injected fault, if any: 429, 500, drop, drop-after, latency
    started_at: float
    duration_s: float
    request_id: str = ""  # the x-request-id sent back (empty when no answer was sent)

    @property
    def mutating(self) -> bool:
        return self.method in MUTATING_METHODS

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "mutating": self.mutating}


class RequestLog:
    def __init__(self) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=MAX_RECORDS)
        self._lock = threading.Lock()

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
