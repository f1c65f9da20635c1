"""Issue 22: a lock is a lease its holder renews; a holder is gone only on proof, never because
its database session ended; a run whose lease was lost writes nothing more. Every backend."""

from __future__ import annotations

import os
import time

import pytest
from pg_server import PostgresServer
from tests_state_support import BackendUnderTest, hold_lock, release

from ftops.errors import StateError, StateLockedError
from ftops.state import new_snapshot
from ftops.state.lock import LockInfo

SHORT_LEASE = "3"  # seconds: renewed every second


def short_lease_env() -> dict[str, str]:
    return {**os.environ, "FTOPS_LOCK_LEASE": SHORT_LEASE}


def test_a_live_holder_renews_its_lease_and_force_unlock_says_when_it_expires(
    backend: BackendUnderTest,
) -> None:
    holder, lock_id = hold_lock(backend, "hold", env=short_lease_env())
    try:
        storage = backend.open()
        first = storage.current_lock()
        assert first is not None and first.expires is not None
        time.sleep(float(SHORT_LEASE) * 1.5)  # past the first lease: only renewals keep it
        later = storage.current_lock()
        assert later is not None and later.id == lock_id
        assert later.expires is not None and later.expires > first.expires  # renewed
        assert later.holder_alive is True  # S3 too, which cannot see the holder's process
        with pytest.raises(StateError, match=r"still running; its lease expires at .*Z \(in \d+s\)"):
            storage.force_unlock(lock_id)
        with pytest.raises(StateLockedError, match=r"lease renewed until"):
            storage.lock("apply")
    finally:
        release(holder)
    assert backend.open().current_lock() is None


def test_a_holder_on_another_host_is_gone_only_once_its_lease_has_expired(
    backend: BackendUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No session and no process to look at (a holder elsewhere whose session a restart ended,
    or an S3 holder): the lease alone decides, and an expired one lets force-unlock through."""
    if backend.type == "local":
        pytest.skip("local: the holder's flock is exact proof of life, the lease is for people")
    monkeypatch.setenv("FTOPS_LOCK_LEASE", "3")  # long enough for a slow machine's look below
    storage = backend.open()
    info = storage.lock("apply")
    keeper = storage.lease_keeper(info.id)
    assert keeper is not None
    keeper.stop()  # the holder stops renewing (hung, or cut off)...
    last = info.renewed(3.0)
    assert storage._renew_lock(last)  # ...after one last renewal, now (a slow machine took the rest)
    if backend.type == "postgres":
        # Its session ends as in a restart, so only the lease is left to say whether it runs.
        storage._held[info.id].close()  # type: ignore[attr-defined]
    other = backend.open()
    monkeypatch.setattr("socket.gethostname", lambda: "another-host")  # its pid proves nothing here
    seen = other.current_lock()
    assert seen is not None and seen.holder_alive is True
    with pytest.raises(StateError, match="lease expires at"):
        other.force_unlock(info.id)
    left = last.expires_in()
    assert left is not None
    time.sleep(max(0.0, left) + 0.3)
    expired = other.current_lock()
    assert expired is not None and expired.holder_alive is False and "stale" in expired.describe()
    other.force_unlock(info.id)
    assert other.current_lock() is None


def test_a_run_whose_lock_was_broken_writes_nothing_more(
    backend: BackendUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FTOPS_LOCK_LEASE", "2")
    storage = backend.open()
    first = storage.write(new_snapshot("demo").with_resources({"jobs.j": {"id": "1"}}))
    info = storage.lock("apply")
    storage.write(first.with_resources({"jobs.j": {"id": "2"}}))  # while the lease is kept: fine
    keeper = storage.lease_keeper(info.id)
    assert keeper is not None
    # The store stops answering this holder's renewals (cut off, or its requests hang).
    monkeypatch.setattr(keeper, "_renew", _unreachable)
    time.sleep(2.4)
    stored = storage.read()
    assert stored is not None
    lost = r"lock .* was lost: its lease ran out .* writing nothing more"
    with pytest.raises(StateLockedError, match=lost):
        storage.write(stored.with_resources({"jobs.j": {"id": "late"}}))
    after = backend.open().read()
    assert after is not None and after.resources["jobs.j"]["id"] == "2"
    storage._stop_keepers()


def test_a_holder_notices_at_once_that_its_lock_was_removed(
    backend: BackendUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FTOPS_LOCK_LEASE", "1")
    storage = backend.open()
    info = storage.lock("apply")
    keeper = storage.lease_keeper(info.id)
    assert keeper is not None
    # Someone removes the lock behind the holder's back (a force-unlock it could not refuse).
    storage._release(info.id)
    deadline = time.monotonic() + 5
    while keeper.lost() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert keeper.lost() == "the lock was released or taken by another run (force-unlock)"
    with pytest.raises(StateLockedError):
        storage.write(new_snapshot("demo"))
    keeper.stop()


def test_a_database_restart_does_not_make_a_live_holder_look_gone(
    backend: BackendUnderTest, pg_server: PostgresServer
) -> None:
    """Issue 22, scenario 1: the server restarts while a holder runs; the holder reconnects and
    renews, others keep seeing it alive and force-unlock refuses, and its release still works."""
    if backend.type != "postgres":
        pytest.skip("a database restart is a PostgreSQL scenario")
    # A lease longer than a restart takes on a loaded machine: the holder must not lose it.
    holder, lock_id = hold_lock(backend, "hold", env={**os.environ, "FTOPS_LOCK_LEASE": "8"})
    try:
        pg_server.restart()
        storage = backend.open()
        seen = storage.current_lock()
        assert seen is not None and seen.id == lock_id
        assert seen.holder_alive is True, seen.describe()
        with pytest.raises(StateError, match="still running; its lease expires at"):
            storage.force_unlock(lock_id)
        again = seen
        deadline = time.monotonic() + 30
        while again.expires == seen.expires and time.monotonic() < deadline:  # renewed since?
            time.sleep(0.2)
            again = storage.current_lock() or seen
        assert again.holder_alive is True
        assert again.expires is not None and seen.expires is not None and again.expires > seen.expires
        with pytest.raises(StateLockedError, match=lock_id):
            storage.lock("apply")
    finally:
        release(holder)  # the holder releases its lock over its new connection: exit 0
    assert backend.open().current_lock() is None


def test_a_lock_written_by_an_older_ftops_reads_without_a_lease() -> None:
    data = {
        "id": "x", "operation": "apply", "who": "u@h", "pid": 1, "created": "t", "backend": "s3", "path": "p"
    }
    info = LockInfo.from_json(data, "lock")
    assert info.expires is None and info.expires_in() is None
    assert info.to_json() == data


def _unreachable(info: LockInfo) -> bool:
    raise StateError("cannot renew the lock: the store does not answer")
