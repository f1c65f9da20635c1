"""Moving whole states: pull, push (for repair), migration between backends, reachability.

These are the library side of ``ftops state pull``, ``ftops state push FILE [--force]``
and ``ftops init [--migrate-state]``. Each takes the lock of the storage it writes,
so it never races a running apply.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ftops.errors import StateConflictError, StateCorruptError, StateError
from ftops.state.lock import LockInfo, locked
from ftops.state.snapshot import StateSnapshot
from ftops.state.storage import BaseStorage


def pull(storage: BaseStorage) -> str:
    """The stored state exactly as stored (even a malformed one, so it can be repaired)."""
    text = storage.read_text()
    if text is None:
        raise StateError(f"there is no state in {storage.describe()} yet")
    return text


def push(
    storage: BaseStorage,
    text: str,
    *,
    source: str = "pushed state",
    force: bool = False,
    lock_timeout: float = 0.0,
) -> StateSnapshot:
    """Replace the stored state with ``text`` (a full state document, checked strictly).

    Without ``force`` it refuses another lineage, a lower serial, or the same serial
    with different content (Terraform's rules): those mean the file is older than
    what is stored, or of another project. With ``force`` it replaces whatever is
    there, even a malformed state, and its serial becomes higher than the stored
    one, so that serials only grow and any run still holding the old state gets a
    conflict instead of writing over the repair.
    """
    pushed = StateSnapshot.from_text(text, source)
    with locked(storage, "state push", lock_timeout):
        current_text = storage.read_text()
        try:
            stored = storage.read()
        except StateCorruptError:
            if not force:
                raise
            stored = None  # replacing a broken state is what --force is for
        if stored is not None and not force:
            _refuse_older(pushed, stored, target=storage.describe(), what="push")
            if pushed.serial == stored.serial:
                return stored  # the same state: nothing to do
        # Serials are never used twice: not even after a rollback (the store remembers the
        # highest it held), so a forced push of an older version becomes the newest one.
        highest = storage.highest_serial(pushed.lineage) or 0
        if not force and pushed.serial < highest:
            raise StateConflictError(
                f"cannot push: serial {pushed.serial} was already used in {storage.describe()}, "
                f"which has held serial {highest} (use --force to store it as serial {highest + 1})"
            )
        if force:
            above = max(stored.serial if stored is not None else 0, highest)
            pushed = replace(pushed, serial=max(pushed.serial, above + 1 if stored or highest else 0))
        return storage.replace_stored(pushed, current_text)


def migrate_state(src: BaseStorage, dst: BaseStorage, *, lock_timeout: float = 0.0) -> StateSnapshot | None:
    """Copy the state of ``src`` into ``dst`` keeping lineage and serial; ``src`` is left as it is.

    Returns the migrated state, or None when ``src`` holds none. Refuses when ``dst``
    holds another lineage, or a newer (or different same-serial) version of this one.
    Both locks are held throughout, so no run writes either side meanwhile.
    """
    with locked(src, "migrate-state", lock_timeout), locked(dst, "migrate-state", lock_timeout):
        state = src.read()
        if state is None:
            return None
        dst_text = dst.read_text()
        existing = dst.read()
        if existing is not None:
            if existing.lineage != state.lineage:
                raise StateConflictError(
                    f"cannot migrate: {dst.describe()} already holds another state "
                    f"(lineage {existing.lineage}, serial {existing.serial}); "
                    f"{src.describe()} is lineage {state.lineage}",
                    hint="Point the backend at an empty location, or remove that state first.",
                )
            _refuse_older(state, existing, target=dst.describe(), what="migrate")
            if existing.serial == state.serial:
                return existing  # already migrated
        return dst.replace_stored(state, dst_text)


@dataclass(frozen=True)
class Reachability:
    description: str
    serial: int | None  # None: no state stored yet
    lineage: str | None
    lock: LockInfo | None
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        state = "no state yet" if self.serial is None else f"serial {self.serial}, lineage {self.lineage}"
        locked_by = f"; locked: {self.lock.describe()}" if self.lock else ""
        return f"{self.description}: reachable, {state}{locked_by}"


def check_reachable(storage: BaseStorage) -> Reachability:
    """Read the state and the lock once (what ``ftops init`` checks); raises a clear
    ``StateError`` when the store cannot be reached or its state is malformed."""
    state = storage.read()
    holder = storage.current_lock()
    return Reachability(
        description=storage.describe(),
        serial=None if state is None else state.serial,
        lineage=None if state is None else state.lineage,
        lock=holder,
        notes=storage.reachability_notes(),
    )


def _refuse_older(incoming: StateSnapshot, stored: StateSnapshot, *, target: str, what: str) -> None:
    force = " (use --force to replace it anyway)" if what == "push" else ""
    if incoming.lineage != stored.lineage:
        raise StateConflictError(
            f"cannot {what}: {target} holds lineage {stored.lineage}, not {incoming.lineage}{force}"
        )
    if incoming.serial < stored.serial:
        raise StateConflictError(
            f"cannot {what}: {target} is at serial {stored.serial}, "
            f"newer than serial {incoming.serial}{force}"
        )
    if incoming.serial == stored.serial and not incoming.content_equal(stored):
        raise StateConflictError(
            f"cannot {what}: {target} holds a different state with the same serial {stored.serial}{force}"
        )
