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
- the lock operations (take, renew the lease, release);
- ``_load_highest()`` / ``_store_highest(lineage, serial)``: the highest serial this store
  has held for a lineage, kept apart from the state (so a restored older state cannot
  take it back with it; PostgreSQL reads it from its history instead).

Rollbacks: a state whose serial is below the highest its store has held was restored from
an older copy. ``check_not_rolled_back`` refuses it (commands that read the state call it;
a write checks once per base it did not write itself), so nobody plans on it, or writes
serials that were already used, without saying so (``ftops state push --force``).

Every write reads the stored document first (the rule above needs it), but parses it only
when its bytes are not exactly the ones this storage object last wrote or read: an apply
writes the state after every step, and parsing the whole document each time made a
1,100-step apply quadratic (issue 9). The bytes are compared in full, so the rule is as
exact as with a parse: any other writer's change, however small, is parsed and checked.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from dataclasses import replace
from typing import Protocol, runtime_checkable

from ftops.errors import StateConflictError, StateError, StateRolledBackError
from ftops.state.lease import LeaseKeeper, lease_seconds
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

    def check_lease(self) -> None: ...

    def check_not_rolled_back(self, snapshot: StateSnapshot) -> None: ...

    def highest_serial(self, lineage: str) -> int | None: ...

    def close(self) -> None: ...


class BaseStorage(ABC):
    """The shared write rule and lock wait loop; subclasses supply storage primitives."""

    backend: str = ""
    # The stored bytes this object last wrote or read, and the snapshot they hold (the one it
    # wrote, whose ``to_text`` they are, or the one parsed from them).
    _known: tuple[bytes, StateSnapshot] | None = None
    # The (lineage, serial) this object last proved newest, or wrote itself.
    _newest: tuple[str, int] | None = None
    # The highest serial of a lineage as this object last read or stored it.
    _highest: tuple[str, int] | None = None
    _keepers: dict[str, LeaseKeeper]  # lock id -> the thread renewing its lease

    def __init__(self) -> None:
        self._keepers = {}

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
    def _renew_lock(self, info: LockInfo) -> bool:
        """Store ``info`` (a later lease) over this process's lock: True when stored, False when
        the lock is no longer ours; raises ``StateError`` when the store cannot be reached."""

    @abstractmethod
    def _release(self, lock_id: str) -> None:
        """Remove this process's lock ``lock_id`` (its lease keeper is already stopped)."""

    @abstractmethod
    def force_unlock(self, lock_id: str) -> None: ...

    @abstractmethod
    def current_lock(self) -> LockInfo | None: ...

    @abstractmethod
    def _load_highest(self) -> tuple[str, int] | None:
        """The (lineage, highest serial) record kept beside the state, None if there is none."""

    @abstractmethod
    def _store_highest(self, lineage: str, serial: int) -> None: ...

    def close(self) -> None:
        """Release connections (and with them any lock this process still holds)."""
        self._stop_keepers()

    def _stop_keepers(self) -> None:
        for keeper in self._keepers.values():
            keeper.stop()
        self._keepers = {}

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
        self.check_lease()
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
            if self._newest != (stored.lineage, stored.serial):
                self.check_not_rolled_back(stored)  # never write a serial already used
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
        self._newest = (written.lineage, written.serial)
        self._note_highest(written)
        return written

    def replace_stored(self, snapshot: StateSnapshot, expected_text: str | None) -> StateSnapshot:
        """Store ``snapshot`` exactly as given (lineage and serial kept), if what is stored is
        still ``expected_text``: the primitive behind push and migration, which run their
        own checks first."""
        self.check_lease()
        data, version = self._load()
        current = None if data is None else data.decode("utf-8", errors="replace")
        if current != expected_text:
            raise StateConflictError(f"state {self.describe()} changed while it was being replaced")
        text = snapshot.to_text()
        self._known = None
        self._store(snapshot, text, version)
        self._known = (text.encode("utf-8"), snapshot)
        self._newest = (snapshot.lineage, snapshot.serial)
        self._note_highest(snapshot)
        return snapshot

    # ---- rollbacks ---------------------------------------------------------------------------

    def highest_serial(self, lineage: str) -> int | None:
        """The highest serial this store has held for ``lineage`` (None: no record of it)."""
        record = self._load_highest()
        if record is None or record[0] != lineage:
            return None
        self._highest = record
        return record[1]

    def check_not_rolled_back(self, snapshot: StateSnapshot) -> None:
        """Refuse a state older than the newest this store has held for its lineage."""
        highest = self.highest_serial(snapshot.lineage)
        if highest is not None and highest > snapshot.serial:
            # A writer may have stored a newer version between our two reads: that is a race
            # (the caller reads again), not a rollback.
            now = self._read_versioned()[0]
            if now is not None and (now.lineage, now.serial) != (snapshot.lineage, snapshot.serial):
                raise StateConflictError(
                    f"state {self.describe()} changed since it was read (serial {snapshot.serial} "
                    f"read, {now.serial} stored): another run wrote it",
                    hint="Run the command again: it will start from the newer state.",
                )
            raise StateRolledBackError(
                f"the state went back from serial {highest} to {snapshot.serial} in {self.describe()} "
                f"(lineage {snapshot.lineage}): an older copy was restored or written back, and "
                "planning on it would redo or undo what the newer versions record",
                hint=f"Restore serial {highest} (see docs/reliability.md), or keep the older state "
                "on purpose: `ftops state pull > older.json && ftops state push --force older.json` "
                f"stores it as serial {highest + 1}, so no serial is used twice.",
            )
        self._newest = (snapshot.lineage, snapshot.serial)

    def _note_highest(self, written: StateSnapshot) -> None:
        """Raise the highest-serial record to ``written``'s serial. The state is already stored:
        a record that cannot be written now is tried again at the next write, never fails this
        one (a failed write here would leave the run's view of its own state wrong)."""
        known = self._highest
        if known is not None and known[0] == written.lineage and known[1] >= written.serial:
            return
        try:
            self._store_highest(written.lineage, written.serial)
        except (StateError, OSError):
            return
        self._highest = (written.lineage, written.serial)

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
        lease = lease_seconds()
        info = new_lock_info(operation, self.backend, self.describe(), lease)

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
        keeper = LeaseKeeper(info, self._renew_lock, lease, self.describe())
        self._keepers[info.id] = keeper
        keeper.start()
        return info

    def unlock(self, lock_id: str) -> None:
        keeper = self._keepers.pop(lock_id, None)
        if keeper is not None:
            keeper.stop()
        self._release(lock_id)

    def check_lease(self) -> None:
        """The fence: raise ``StateLockedError`` if a lock this object holds was lost."""
        for keeper in list(self._keepers.values()):
            keeper.check()

    def lease_keeper(self, lock_id: str) -> LeaseKeeper | None:
        return self._keepers.get(lock_id)


def highest_record(lineage: str, serial: int) -> bytes:
    """The highest-serial record as the local and S3 backends store it beside the state."""
    return json.dumps({"lineage": lineage, "serial": serial}).encode("utf-8") + b"\n"


def parse_highest_record(data: bytes) -> tuple[str, int] | None:
    """A malformed record counts as none: it can only let a rollback go unnoticed, never
    refuse a good state, and the next write stores it again."""
    try:
        parsed = json.loads(data)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    lineage, serial = parsed.get("lineage"), parsed.get("serial")
    if not isinstance(lineage, str) or not isinstance(serial, int) or isinstance(serial, bool):
        return None
    return lineage, serial
