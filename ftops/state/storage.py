"""The storage interface every backend implements, and the write rule they share.

The rule (Terraform's statemgr is the model): a snapshot carries the serial of
the version it was read from. ``write`` refuses when the stored lineage differs,
or when the stored serial is not that base (someone wrote in between), so an
update is never lost even by a run that forgot the lock. The serial goes up by
one only when the content changes. Each backend supplies three primitives:

- ``_load()``: the stored bytes and an opaque version token (None, None if absent);
- ``_store(snapshot, text, expected)``: store only if the stored version is still
  ``expected`` (an atomic compare-and-swap: a file under a mutex, an S3 ETag
  condition, a PostgreSQL row version), else raise ``StateConflictError``;
- the lock operations.

Every write reads the stored document first (the rule above needs it), but parses it only
when its bytes are not exactly the ones this storage object last wrote or read: an apply
writes the state after every step, and parsing the whole document each time made a
1,100-step apply quadratic (issue 9). The bytes are compared in full, so the rule is as
exact as with a parse: any other writer's change, however small, is parsed and checked.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import replace
from typing import Protocol, runtime_checkable

from ftops.errors import StateConflictError, StateError
from ftops.state.lock import LockInfo, acquire_with_backoff, new_lock_info
from ftops.state.snapshot import StateSnapshot


@runtime_checkable
class StateStorage(Protocol):
    def describe(self) -> str: ...

    def read(self) -> StateSnapshot | None: ...

    def write(self, snapshot: StateSnapshot) -> StateSnapshot: ...

    def lock(self, operation: str, *, timeout: float = 0.0) -> LockInfo: ...

    def unlock(self, lock_id: str) -> None: ...

    def force_unlock(self, lock_id: str) -> None: ...

    def current_lock(self) -> LockInfo | None: ...

    def close(self) -> None: ...


class BaseStorage(ABC):
    """The shared write rule and lock wait loop; subclasses supply storage primitives."""

    backend: str = ""
    # The stored bytes this object last wrote or read, and the snapshot they hold (the one it
    # wrote, whose ``to_text`` they are, or the one parsed from them).
    _known: tuple[bytes, StateSnapshot] | None = None

    @abstractmethod
    def describe(self) -> str: ...

    @abstractmethod
    def _load(self) -> tuple[bytes | None, str | None]: ...

    @abstractmethod
    def _store(self, snapshot: StateSnapshot, text: str, expected: str | None) -> None: ...

    @abstractmethod
    def _try_lock(self, info: LockInfo) -> LockInfo | None:
        """Take the lock as ``info``: None on success, else the current holder, or ``info``
        itself when the lock changed hands while we looked (the caller looks again)."""

    @abstractmethod
    def unlock(self, lock_id: str) -> None: ...

    @abstractmethod
    def force_unlock(self, lock_id: str) -> None: ...

    @abstractmethod
    def current_lock(self) -> LockInfo | None: ...

    def close(self) -> None:  # noqa: B027 - most backends hold nothing to release
        """Release connections (and with them any lock this process still holds)."""

    def reachability_notes(self) -> tuple[str, ...]:
        """Warnings for ``ftops init`` about this store's setup; raises ``StateError`` when unusable."""
        return ()

    # ---- reads and writes ------------------------------------------------------------------

    def read(self) -> StateSnapshot | None:
        return self._read_versioned()[0]

    def read_text(self) -> str | None:
        """The stored document exactly as stored, e.g. for ``state pull`` (not validated)."""
        data, _ = self._load()
        return None if data is None else data.decode("utf-8", errors="replace")

    def write(self, snapshot: StateSnapshot) -> StateSnapshot:
        stored, version = self._read_versioned()
        if stored is not None:
            if stored.lineage != snapshot.lineage:
                raise StateConflictError(
                    f"state {self.describe()} belongs to lineage {stored.lineage}, "
                    f"not {snapshot.lineage}: refusing to overwrite another state",
                    hint="Check the manifests' backend; use `ftops state push --force` only to replace it.",
                )
            if stored.serial != snapshot.serial:
                raise StateConflictError(
                    f"state {self.describe()} changed since it was read (serial {snapshot.serial} "
                    f"read, {stored.serial} stored): another run wrote it",
                    hint="Run the command again: it will start from the newer state.",
                )
            if stored.content_equal(snapshot):
                return stored
        written = replace(snapshot, serial=snapshot.serial + 1)
        text = written.to_text()
        data = text.encode("utf-8")
        self._known = None  # until the outcome is known
        try:
            self._store(written, text, version)
        except StateConflictError:
            # A client that retried a request whose answer was lost (an S3 PUT that timed out
            # after it landed) meets its own write as "changed since read": if exactly our
            # document is stored, the write did happen.
            if self._load()[0] != data:
                raise
        self._known = (data, written)
        return written

    def replace_stored(self, snapshot: StateSnapshot, expected_text: str | None) -> StateSnapshot:
        """Store ``snapshot`` exactly as given (lineage and serial kept), if what is stored is
        still ``expected_text``: the primitive behind push and migration, which run their
        own checks first."""
        data, version = self._load()
        current = None if data is None else data.decode("utf-8", errors="replace")
        if current != expected_text:
            raise StateConflictError(f"state {self.describe()} changed while it was being replaced")
        text = snapshot.to_text()
        self._known = None
        self._store(snapshot, text, version)
        self._known = (text.encode("utf-8"), snapshot)
        return snapshot

    def _read_versioned(self) -> tuple[StateSnapshot | None, str | None]:
        data, version = self._load()
        if data is None:
            return None, version
        known = self._known
        if known is not None and known[0] == data:
            return known[1], version
        snapshot = StateSnapshot.from_text(data, self.describe())
        self._known = (data, snapshot)
        return snapshot, version

    # ---- locks -----------------------------------------------------------------------------

    def lock(self, operation: str, *, timeout: float = 0.0) -> LockInfo:
        info = new_lock_info(operation, self.backend, self.describe())

        def attempt() -> LockInfo | None:
            # A backend returns ``info`` itself when the lock changed hands under it (taken or
            # released between two of its steps): look again shortly, even with no timeout.
            for _ in range(10):
                holder = self._try_lock(info)
                if holder is None or holder.id != info.id:
                    return holder
                time.sleep(0.02)
            raise StateError(f"the lock of {self.describe()} keeps changing hands; try again")

        acquire_with_backoff(attempt, timeout, self.describe())
        return info
