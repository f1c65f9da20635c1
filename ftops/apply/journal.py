"""The state as an apply changes it: every change is written at once, under one lock.

Terraform loses track of objects created just before a crash because it writes
the state late. Here each step's result is stored as soon as it is known, and an
intent (``pending.<address>``) is stored before every create, so a killed apply
leaves on disk exactly what it did and what it was about to do.

Steps may run in parallel threads; the journal serialises their writes.

Writing after every step costs one write of the document per step, so each write is kept
cheap: only the records a step changed are encoded again (``ftops.state.snapshot``), the
stored document is parsed again only if another writer changed it (``ftops.state.storage``),
and the typed view steps read is re-parsed only where records changed (``records``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ftops.plan.records import (
    AnyRecord,
    StateRecords,
    parse_record,
    pending_key,
    record_json,
    records_of,
)
from ftops.state import StateSnapshot, StateStorage, new_snapshot

Edit = Callable[[dict[str, Any]], None]  # mutates a plain copy of the resources mapping
Transform = Callable[[Mapping[str, Any]], Mapping[str, Any]]  # returns the new resources mapping


class StateJournal:
    def __init__(
        self,
        storage: StateStorage,
        snapshot: StateSnapshot | None,
        project: str,
        *,
        job_watermark: int | None = None,
    ) -> None:
        self._storage = storage
        # A run that starts with no state creates one on its first write.
        self._snapshot = snapshot if snapshot is not None else new_snapshot(project)
        # What this run's refresh proved (ftops.plan.listing) rides along with the next write
        # that changes a record; never a write of its own, so a no-op apply leaves the state
        # exactly as it was.
        if job_watermark is not None:
            self._snapshot = replace(self._snapshot, job_watermark=job_watermark)
        self._lock = threading.Lock()
        self.writes = 0  # writes that changed the stored content
        # For ``records``: per address, the raw record (the very object) and its one-record
        # typed view; and the last view made, with the snapshot it is of.
        self._view_lock = threading.Lock()
        self._parsed: dict[str, tuple[Any, tuple[str, AnyRecord]]] = {}
        self._view: tuple[StateSnapshot, StateRecords] | None = None

    @property
    def snapshot(self) -> StateSnapshot:
        with self._lock:
            return self._snapshot

    def records(self) -> StateRecords:
        """The typed view of the current snapshot, as ``read_records`` gives it, parsing only the
        records that are new objects since the last call: a step changes one or two, and parsing
        the whole state for each step made a large apply quadratic (issue 9)."""
        snapshot = self.snapshot
        with self._view_lock:
            if self._view is not None and self._view[0] is snapshot:
                return self._view[1]
            parsed: dict[str, tuple[Any, tuple[str, AnyRecord]]] = {}
            for address in sorted(snapshot.resources):  # read_records' order: the same first error
                raw = snapshot.resources[address]
                entry = self._parsed.get(address)
                if entry is None or entry[0] is not raw:
                    entry = (raw, parse_record(address, raw))
                parsed[address] = entry
            view = records_of(record for _, record in parsed.values())
            self._parsed, self._view = parsed, (snapshot, view)
            return view

    def record_providers(self, providers: Mapping[str, Mapping[str, str]]) -> None:
        """The providers the state's records are on (ftops.multi), stored with the next write."""
        with self._lock:
            self._snapshot = replace(self._snapshot, providers=providers)

    def update(self, transform: Transform) -> StateSnapshot:
        """Store ``transform(resources)`` now; one of ``ftops.plan.bookkeeping``'s functions for
        every step's outcome. The transform runs under the journal's lock, so parallel steps
        each see the others' results."""
        with self._lock:
            updated = self._snapshot.with_resources(dict(transform(self._snapshot.resources)))
            if updated.content_equal(self._snapshot) and self._snapshot.serial > 0:
                return self._snapshot
            stored = self._storage.write(updated)
            if stored.serial != self._snapshot.serial:
                self.writes += 1
            self._snapshot = stored
            return stored

    def edit(self, change: Edit) -> StateSnapshot:
        """Apply ``change`` to a copy of the resources and store the result now (state surgery)."""

        def transform(resources: Mapping[str, Any]) -> Mapping[str, Any]:
            copy = dict(resources)
            change(copy)
            return copy

        return self.update(transform)

    # ---- explicit edits (import, state rm) ---------------------------------------------------

    def put(self, address: str, record: AnyRecord, *, clear_pending: bool = True) -> None:
        def change(resources: dict[str, Any]) -> None:
            resources[address] = record_json(record)
            if clear_pending:
                resources.pop(pending_key(address), None)

        self.edit(change)

    def forget(self, *addresses: str) -> None:
        def change(resources: dict[str, Any]) -> None:
            for address in addresses:
                resources.pop(address, None)
                resources.pop(pending_key(address), None)

        self.edit(change)


def now_iso() -> str:
    """The time an intent is written, for people reading the state."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()
