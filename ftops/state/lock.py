"""Lock values and messages shared by every backend.

A lock names its holder (id, operation, user@host, pid, time) so that a second
run can say who is in the way, and a person can release a crashed holder's lock
with ``ftops force-unlock ID``. No backend ever takes a lock over by itself.

A lock is also a lease (``expires``): its holder renews it every third of the lease
(``ftops.state.lease``), so a holder is judged gone only on proof: the kernel dropped
its flock (local), its pid is gone on this very host, or its lease ran out unrenewed.
A database session that ended, alone, proves nothing: a PostgreSQL restart ends every
session while their processes still run (issue 22).
"""

from __future__ import annotations

import datetime as _dt
import getpass
import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ftops.errors import StateCorruptError, StateError, StateLockedError

if TYPE_CHECKING:
    from ftops.state.storage import StateStorage


@dataclass(frozen=True)
class LockInfo:
    id: str
    operation: str
    who: str  # user@host
    pid: int
    created: str  # ISO 8601, UTC
    backend: str  # "local", "s3", "postgres"
    path: str  # where the lock lives, for people
    # Until when the holder's lease runs (ISO 8601, UTC); None in a lock of an older ftops.
    expires: str | None = None
    # Whether the holder still runs: True/False when the backend can tell, None when it cannot.
    holder_alive: bool | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operation": self.operation,
            "who": self.who,
            "pid": self.pid,
            "created": self.created,
            "backend": self.backend,
            "path": self.path,
        } | ({"expires": self.expires} if self.expires is not None else {})

    @classmethod
    def from_json(cls, data: Any, source: str) -> LockInfo:
        fields = ("id", "operation", "who", "created", "backend", "path")
        if (
            not isinstance(data, dict)
            or not all(isinstance(data.get(name), str) for name in fields)
            or not isinstance(data.get("pid"), int)
            or not isinstance(data.get("expires", ""), str)
            or (data.get("expires") is not None and parse_time(data["expires"]) is None)
        ):
            raise StateCorruptError(
                f"{source}: lock holder details are malformed",
                hint="If no ftops run holds it, remove the lock object by hand.",
            )
        return cls(
            id=data["id"],
            operation=data["operation"],
            who=data["who"],
            pid=data["pid"],
            created=data["created"],
            backend=data["backend"],
            path=data["path"],
            expires=data.get("expires"),
        )

    def with_alive(self, alive: bool | None) -> LockInfo:
        return replace(self, holder_alive=alive)

    def renewed(self, lease: float) -> LockInfo:
        """The same lock with its lease running ``lease`` seconds from now."""
        return replace(self, expires=format_time(time.time() + lease))

    def expires_in(self) -> float | None:
        """Seconds until the lease runs out (negative once it has), None without a lease."""
        expires = parse_time(self.expires) if self.expires else None
        return None if expires is None else expires - time.time()

    def describe(self) -> str:
        text = (
            f"lock ID {self.id} held by {self.who} (pid {self.pid}) for '{self.operation}' "
            f"since {self.created}"
        )
        if self.holder_alive is False:
            text += "; the holder is gone, so this lock is stale"
        elif self.expires is not None:
            text += f" (lease renewed until {self.expires})"
        return text


def judge_alive(holder: LockInfo, *, proof: bool | None = None) -> bool | None:
    """Whether ``holder`` still runs. ``proof`` is what the backend knows for certain (True: the
    kernel or the database holds the holder's own handle; False: the kernel dropped it); else a
    pid gone on this host proves it gone, and then only the lease decides. A holder whose lease
    runs is alive even with no session: it may be reconnecting (a database restart)."""
    if proof is not None:
        return proof
    same_host = holder.who.rpartition("@")[2] == socket.gethostname()
    if same_host and not pid_alive(holder.pid):
        return False
    left = holder.expires_in()
    return None if left is None else left > 0


def format_time(seconds: float) -> str:
    moment = _dt.datetime.fromtimestamp(seconds, _dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> float | None:
    try:
        moment = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp()


def new_lock_info(operation: str, backend: str, path: str, lease: float) -> LockInfo:
    return LockInfo(
        id=str(uuid.uuid4()),
        operation=operation,
        who=holder_name(),
        pid=os.getpid(),
        created=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        backend=backend,
        path=path,
        expires=format_time(time.time() + lease),
    )


def holder_name() -> str:
    """user@host, as locks and intents name the run that wrote them."""
    return f"{_user()}@{socket.gethostname()}"


def locked_error(holder: LockInfo, where: str, waited: float) -> StateLockedError:
    waited_text = f" after waiting {waited:.1f}s" if waited > 0 else ""
    if holder.holder_alive is False:
        hint = f"Its holder is gone: release the lock with ftops force-unlock {holder.id}"
    else:
        hint = (
            "Wait for that run, or retry with --lock-timeout; "
            f"if it has crashed: ftops force-unlock {holder.id}"
        )
    return StateLockedError(f"the state ({where}) is locked{waited_text}: {holder.describe()}", hint=hint)


def check_force_unlock(
    holder: LockInfo | None, lock_id: str, where: str, *, still_running: str = "its run"
) -> LockInfo:
    """The checks every backend makes before ``force-unlock``: the state is locked, ``lock_id`` is
    the holder's, and the holder is not alive (``holder_alive``: a live lease, a held flock or
    session; ``still_running`` names what would still be running, e.g. "that process")."""
    if holder is None:
        raise StateError(f"state {where} is not locked")
    if holder.id != lock_id:
        raise StateError(
            f"lock ID {lock_id} does not match the current {holder.describe()}",
            hint=f"To release that lock: ftops force-unlock {holder.id}",
        )
    if holder.holder_alive:
        left = holder.expires_in()
        if left is not None and left > 0:
            until = f"; its lease expires at {holder.expires} (in {left:.0f}s) unless the holder renews it"
        else:
            until = ""
        raise StateError(
            f"refusing to force-unlock: {holder.describe()}, and {still_running} is still running{until}",
            hint="Stop that run first, or wait until its lease has expired; "
            "a live holder's lock is never taken over.",
        )
    return holder


def acquire_with_backoff(
    try_once: Callable[[], LockInfo | None],
    timeout: float,
    where: str,
) -> None:
    """Call ``try_once`` (None on success, else the holder) until it succeeds or ``timeout`` passes.

    Backoff doubles from 50 ms to 2 s with jitter, so many waiting CI runs do not
    hammer a remote store in step.
    """
    start = time.monotonic()
    delay = 0.05
    while True:
        holder = try_once()
        if holder is None:
            return
        waited = time.monotonic() - start
        remaining = timeout - waited
        if remaining <= 0:
            raise locked_error(holder, where, waited if timeout > 0 else 0.0)
        time.sleep(min(remaining, delay * random.uniform(0.5, 1.0)))
        delay = min(delay * 2, 2.0)


@contextmanager
def locked(storage: StateStorage, operation: str, timeout: float = 0.0) -> Iterator[LockInfo]:
    """Hold the state lock for the body; released even when the body raises."""
    info = storage.lock(operation, timeout=timeout)
    try:
        yield info
    finally:
        storage.unlock(info.id)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid{os.getuid()}"
