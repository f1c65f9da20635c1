"""The lock's lease: a heartbeat thread that renews it, and the fence that stops a run whose
lease it could not keep.

A lock is held for ``FTOPS_LOCK_LEASE`` seconds (default 60) from its last renewal; the
holder renews it every third of that. Others judge the holder gone only once the lease
has run out (``ftops.state.lock.judge_alive``), so a holder that cannot renew for a
while (its database restarting, a network blip) keeps its lock as long as it renews
again in time. A holder that finds its lock gone or taken (someone ran
``force-unlock``), or that could not renew before its own lease ran out, has lost the
lock: ``check`` then refuses, and the storage refuses every further write (the fence), so
such a run sends no new create and writes nothing more.

The holder measures its lease on its own monotonic clock from the moment it sent the
renewal, so it gives up no later than the others may start judging it gone; the others
read the wall-clock time written in the lock, so hosts must agree on the time to within a
small part of the lease (NTP).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from ftops.errors import FtopsError, StateLockedError, UsageError
from ftops.state.lock import LockInfo

LEASE_ENV = "FTOPS_LOCK_LEASE"
DEFAULT_LEASE = 60.0
MIN_LEASE = 1.0


def lease_seconds() -> float:
    """The lease of a new lock: ``FTOPS_LOCK_LEASE`` seconds, or one minute."""
    text = os.environ.get(LEASE_ENV, "").strip()
    if not text:
        return DEFAULT_LEASE
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= MIN_LEASE:  # also refuses NaN
        raise UsageError(f"{LEASE_ENV}={text!r}: use a number of seconds, at least {MIN_LEASE:g}")
    return value


# Renews the lock as the LockInfo given (a later ``expires``): True once stored, False when the
# lock is no longer this holder's (released or taken by someone else); raises when the backend
# cannot be reached (tried again at the next beat).
Renew = Callable[[LockInfo], bool]


class LeaseKeeper:
    """Renews one held lock until stopped; says whether the lock is still safely held."""

    def __init__(self, info: LockInfo, renew: Renew, lease: float, where: str) -> None:
        self.info = info
        self._renew = renew
        self._lease = lease
        self._where = where
        self._stop = threading.Event()
        self._mutex = threading.Lock()
        # The lease was written when the lock was taken, just before this object was made.
        self._confirmed_until = time.monotonic() + lease
        self._lost: str | None = None
        self.renewals = 0
        self.failed_renewals = 0
        self._thread = threading.Thread(target=self._beat, name=f"ftops-lease-{info.id[:8]}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=self._lease)

    def lost(self) -> str | None:
        """Why the lock can no longer be trusted to be this run's, or None while it is."""
        with self._mutex:
            if self._lost is None and time.monotonic() > self._confirmed_until:
                self._lost = (
                    f"its lease ran out at {self.info.expires} before it could be renewed "
                    f"({self.failed_renewals} renewal(s) failed)"
                )
            return self._lost

    def check(self) -> None:
        """Raise ``StateLockedError`` when the lock was lost (the fence)."""
        reason = self.lost()
        if reason is not None:
            raise StateLockedError(
                f"this run's lock on {self._where} (ID {self.info.id}) was lost: {reason}; "
                "it stops here, writing nothing more",
                hint="Another run may hold the state now. Run `ftops plan` again when it is free: "
                "what this run created is found again by its tags.",
            )

    def _beat(self) -> None:
        interval = self._lease / 3
        wait = interval
        while not self._stop.wait(wait):
            if self.lost() is not None:
                return
            sent = time.monotonic()
            renewed = self.info.renewed(self._lease)
            try:
                ours = self._renew(renewed)
            except (FtopsError, OSError):
                # Unreachable for now (a restart, a blip): try again soon, well within the lease.
                self.failed_renewals += 1
                wait = min(interval, max(0.2, self._lease / 12))
                continue
            with self._mutex:
                if not ours:
                    self._lost = "the lock was released or taken by another run (force-unlock)"
                    return
                self.info = renewed
                self._confirmed_until = sent + self._lease
                self.renewals += 1
            wait = interval
