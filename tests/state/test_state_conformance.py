"""The storage conformance suite: every backend must pass every test here."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
from tests_state_support import BackendUnderTest, hold_lock, release

from ftops.errors import StateConflictError, StateCorruptError, StateError, StateLockedError
from ftops.state import StateSnapshot, locked, new_snapshot


def test_empty_storage_reads_none(backend: BackendUnderTest) -> None:
    storage = backend.open()
    assert storage.read() is None
    assert storage.current_lock() is None


def test_read_your_own_write(backend: BackendUnderTest) -> None:
    storage = backend.open()
    fresh = new_snapshot("demo")
    written = storage.write(fresh.with_resources({"datasets.a": {"file_id": "file-1", "sha256": "ab"}}))
    assert written.serial == 1
    assert written.lineage == fresh.lineage
    again = backend.open().read()
    assert again is not None
    assert again.lineage == fresh.lineage
    assert again.serial == 1
    assert again.project == "demo"
    assert again.content_equal(written)
    assert again.resources["datasets.a"]["file_id"] == "file-1"


def test_serial_bumps_only_when_content_changes(backend: BackendUnderTest) -> None:
    storage = backend.open()
    first = storage.write(new_snapshot("demo").with_resources({"jobs.j": {"id": "ftjob-1"}}))
    same = storage.write(first.with_resources({"jobs.j": {"id": "ftjob-1"}}))
    assert same.serial == first.serial == 1
    changed = storage.write(same.with_resources({"jobs.j": {"id": "ftjob-2"}}))
    assert changed.serial == 2
    assert changed.lineage == first.lineage
    stored = storage.read()
    assert stored is not None and stored.serial == 2 and stored.lineage == first.lineage


def test_write_from_a_stale_base_is_refused(backend: BackendUnderTest) -> None:
    storage = backend.open()
    base = storage.write(new_snapshot("demo").with_resources({"models.m": {"model": "ft:1"}}))
    run_a = backend.open().read()
    run_b = backend.open().read()
    assert run_a is not None and run_b is not None
    storage.write(run_a.with_resources({"models.m": {"model": "ft:A"}}))
    with pytest.raises(StateConflictError, match="changed since it was read"):
        backend.open().write(run_b.with_resources({"models.m": {"model": "ft:B"}}))
    stored = storage.read()
    assert stored is not None
    assert stored.serial == base.serial + 1
    assert stored.resources["models.m"]["model"] == "ft:A"


def test_a_snapshot_of_another_lineage_is_refused(backend: BackendUnderTest) -> None:
    storage = backend.open()
    storage.write(new_snapshot("demo").with_resources({"datasets.a": {"file_id": "file-1"}}))
    stranger = new_snapshot("demo")
    stranger = stranger.__class__(lineage=stranger.lineage, serial=1, resources={"datasets.a": {}})
    with pytest.raises(StateConflictError, match="lineage"):
        storage.write(stranger)
    stored = storage.read()
    assert stored is not None and stored.resources["datasets.a"]["file_id"] == "file-1"


# No NUL byte among them: a PostgreSQL text column cannot hold one, and JSON never has a raw one.
@pytest.mark.parametrize(
    "garbage",
    ['{"format_version": 1, "lineage": "', "[]", '{"format_version": 99}', "\x01binary"],
)
def test_malformed_stored_state_is_reported(backend: BackendUnderTest, garbage: str) -> None:
    storage = backend.open()
    storage._store(new_snapshot(None), garbage, None)
    with pytest.raises(StateCorruptError, match=r"state is (malformed|not valid JSON)"):
        backend.open().read()
    with pytest.raises(StateCorruptError):
        backend.open().write(new_snapshot(None))


def test_lock_is_exclusive_across_processes(backend: BackendUnderTest) -> None:
    holder, lock_id = hold_lock(backend, "hold")
    try:
        storage = backend.open()
        with pytest.raises(StateLockedError) as caught:
            storage.lock("apply")
        message = str(caught.value)
        assert lock_id in message
        assert f"pid {holder.pid}" in message
        assert "'hold'" in message
        assert caught.value.hint is not None and f"force-unlock {lock_id}" in caught.value.hint
        current = storage.current_lock()
        assert current is not None and current.id == lock_id and current.pid == holder.pid
        assert current.holder_alive in (True, None)
    finally:
        release(holder)
    info = storage.lock("apply")
    assert storage.current_lock() is not None
    storage.unlock(info.id)
    assert storage.current_lock() is None


def test_lock_is_exclusive_between_two_storages_of_one_process(backend: BackendUnderTest) -> None:
    first, second = backend.open(), backend.open()
    with locked(first, "plan") as info, pytest.raises(StateLockedError, match=info.id):
        second.lock("apply")
    second.unlock(second.lock("apply").id)


def test_lock_timeout_waits_then_names_the_holder(backend: BackendUnderTest) -> None:
    holder, lock_id = hold_lock(backend, "hold")
    try:
        storage = backend.open()
        started = time.monotonic()
        with pytest.raises(StateLockedError, match=f"after waiting.*{lock_id}"):
            storage.lock("apply", timeout=0.6)
        assert time.monotonic() - started >= 0.6
    finally:
        release(holder)


def test_lock_timeout_succeeds_once_the_holder_lets_go(backend: BackendUnderTest) -> None:
    holder, _ = hold_lock(backend, "hold")
    releaser = threading.Timer(0.5, lambda: release(holder))
    releaser.start()
    try:
        storage = backend.open()
        info = storage.lock("apply", timeout=60)
        assert storage.current_lock() is not None
        storage.unlock(info.id)
    finally:
        releaser.join()


def test_locked_releases_when_the_body_raises(backend: BackendUnderTest) -> None:
    storage = backend.open()
    with pytest.raises(RuntimeError), locked(storage, "apply"):
        raise RuntimeError("boom")
    assert storage.current_lock() is None


def test_a_crashed_holders_lock_stays_until_force_unlock(backend: BackendUnderTest) -> None:
    crashed, lock_id = hold_lock(backend, "crash")
    crashed.wait(timeout=60)
    storage = backend.open()
    with pytest.raises(StateLockedError, match=lock_id) as caught:
        storage.lock("apply")
    holder = storage.current_lock()
    assert holder is not None and holder.id == lock_id
    assert holder.holder_alive is False  # every backend tells a crashed holder on this host
    assert "stale" in str(caught.value)
    with pytest.raises(StateError, match="does not match"):
        storage.force_unlock("not-the-id")
    assert storage.current_lock() is not None
    storage.force_unlock(lock_id)
    assert storage.current_lock() is None
    storage.unlock(storage.lock("apply").id)


def test_force_unlock_never_takes_a_live_holders_lock(backend: BackendUnderTest) -> None:
    holder, lock_id = hold_lock(backend, "hold")
    try:
        storage = backend.open()
        current = storage.current_lock()
        assert current is not None
        if current.holder_alive is None:
            pytest.skip(f"{backend.type} cannot tell whether a lock holder is alive")
        with pytest.raises(StateError, match="still running"):
            storage.force_unlock(lock_id)
        assert storage.current_lock() is not None
    finally:
        release(holder)


def test_unlock_of_a_lock_not_held_is_refused(backend: BackendUnderTest) -> None:
    storage = backend.open()
    with pytest.raises(StateError):
        storage.unlock("no-such-lock")


def test_concurrent_writer_processes_never_lose_an_update(backend: BackendUnderTest) -> None:
    writers, rounds = 4, 8
    procs = [backend.worker("increment", str(rounds), "datasets.counter") for _ in range(writers)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    stored = backend.open().read()
    assert stored is not None
    assert stored.resources["datasets.counter"]["count"] == writers * rounds
    assert stored.serial == writers * rounds
    assert backend.open().current_lock() is None


def test_the_store_itself_is_a_compare_and_swap(backend: BackendUnderTest) -> None:
    """Even a writer that skipped the serial check (or raced past it) cannot overwrite a newer version."""
    storage = backend.open()
    first = storage.write(new_snapshot("demo").with_resources({"jobs.j": {"id": "1"}}))
    _, version_read = storage._load()
    backend.open().write(first.with_resources({"jobs.j": {"id": "2"}}))
    late = first.with_resources({"jobs.j": {"id": "late"}})
    with pytest.raises(StateConflictError):
        storage._store(late, late.to_text(), version_read)
    with pytest.raises(StateConflictError):
        storage._store(late, late.to_text(), None)  # "create" over an existing state
    stored = storage.read()
    assert stored is not None and stored.resources["jobs.j"]["id"] == "2"


def test_a_write_whose_answer_was_lost_and_retried_is_not_a_conflict(
    backend: BackendUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first attempt lands, its answer is lost, the retry finds the version changed."""
    storage = backend.open()
    first = storage.write(new_snapshot("demo").with_resources({"jobs.j": {"id": "1"}}))
    real_store = storage._store

    def store_then_lose_the_answer(snapshot: StateSnapshot, text: str, expected: str | None) -> None:
        real_store(snapshot, text, expected)
        real_store(snapshot, text, expected)  # the retry: its condition no longer holds

    monkeypatch.setattr(storage, "_store", store_then_lose_the_answer)
    written = storage.write(first.with_resources({"jobs.j": {"id": "2"}}))
    assert written.serial == 2
    stored = backend.open().read()
    assert stored is not None and stored.serial == 2 and stored.resources["jobs.j"]["id"] == "2"


def test_writers_that_skip_the_lock_still_never_lose_an_update(backend: BackendUnderTest) -> None:
    writers, rounds = 3, 30
    procs = [backend.worker("increment-unlocked", str(rounds), "datasets.counter") for _ in range(writers)]
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    stored = backend.open().read()
    assert stored is not None
    assert stored.resources["datasets.counter"]["count"] == writers * rounds
    assert stored.serial == writers * rounds


FORMAT_1_STATE = """{
  "format_version": 1,
  "ftops_version": "0.1.0",
  "lineage": "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
  "project": "demo",
  "serial": 4,
  "resources": {
    "datasets.a": {"file_id": "file-1"}
  }
}
"""


def test_a_format_1_state_reads_upgraded_and_is_written_back_in_the_current_format(
    backend: BackendUnderTest,
) -> None:
    """States written before provider aliases (format 1) stay readable on every backend; the
    next write stores format 2 with the providers it records."""
    storage = backend.open()
    storage._store(new_snapshot(None), FORMAT_1_STATE, None)
    old = backend.open().read()
    assert old is not None
    assert old.format_version == 2 and old.serial == 4 and not old.providers
    assert old.resources["datasets.a"]["file_id"] == "file-1"
    fingerprint = {"type": "openai", "base_url": "http://127.0.0.1:1/v1"}
    written = backend.open().write(replace(old, providers={"default": fingerprint}))
    again = backend.open().read()
    assert again is not None and again.serial == written.serial == 5
    assert again.format_version == 2
    assert again.providers == {"default": fingerprint}
    assert again.content_equal(written) and not again.content_equal(old)
