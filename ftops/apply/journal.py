"""The state as an apply changes it: every change is written at once, under one lock.

Terraform loses track of objects created just before a crash because it writes
the state late. Here each step's result is stored as soon as it is known, and an
intent (``pending.<address>``) is stored before every create, so a killed apply
leaves on disk exactly what it did and what it was about to do.

Steps may run in parallel threads; the journal serialises their writes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from ftops.plan.records import (
    AnyRecord,
    PendingKind,
    PendingRecord,
    StateRecords,
    pending_key,
    read_records,
    record_json,
)
from ftops.state import StateSnapshot, StateStorage, new_snapshot

Edit = Callable[[dict[str, Any]], None]  # mutates a plain copy of the resources mapping


class StateJournal:
    def __init__(self, storage: StateStorage, snapshot: StateSnapshot | None, project: str) -> None:
        self._storage = storage
        # A run that starts with no state creates one on its first write.
        self._snapshot = snapshot if snapshot is not None else new_snapshot(project)
        self._lock = threading.Lock()
        self.writes = 0  # writes that changed the stored content

    @property
    def snapshot(self) -> StateSnapshot:
        with self._lock:
            return self._snapshot

    def records(self) -> StateRecords:
        return read_records(self.snapshot)

    def edit(self, change: Edit) -> StateSnapshot:
        """Apply ``change`` to the resources and store the result now."""
        with self._lock:
            resources = dict(self._snapshot.resources)
            change(resources)
            updated = self._snapshot.with_resources(resources)
            if updated.content_equal(self._snapshot) and self._snapshot.serial > 0:
                return self._snapshot
            stored = self._storage.write(updated)
            if stored.serial != self._snapshot.serial:
                self.writes += 1
            self._snapshot = stored
            return stored

    # ---- the edits the executor makes ---------------------------------------------------------

    def mark_pending(self, kind: PendingKind, address: str, identity: str) -> None:
        intent = PendingRecord(kind=kind, address=address, identity=identity, created_at=_now())
        self.edit(lambda r: r.__setitem__(pending_key(address), record_json(intent)))

    def put(self, address: str, record: AnyRecord, *, clear_pending: bool = True) -> None:
        def change(resources: dict[str, Any]) -> None:
            resources[address] = record_json(record)
            if clear_pending:
                resources.pop(pending_key(address), None)

        self.edit(change)

    def put_raw(self, address: str, record: Mapping[str, Any]) -> None:
        """Store a record the plan computed (an adoption), clearing any intent for it."""

        def change(resources: dict[str, Any]) -> None:
            resources[address] = record
            resources.pop(pending_key(address), None)

        self.edit(change)

    def forget(self, *addresses: str) -> None:
        def change(resources: dict[str, Any]) -> None:
            for address in addresses:
                resources.pop(address, None)
                resources.pop(pending_key(address), None)

        self.edit(change)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
