"""pull, push, migrate_state and check_reachable, against every backend."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import boto3
import pytest
from tests_state_support import BackendUnderTest, hold_lock, release

from ftops.errors import StateConflictError, StateCorruptError, StateError, StateLockedError
from ftops.resources import BackendConfig
from ftops.state import (
    StateSnapshot,
    check_reachable,
    locked,
    migrate_state,
    new_snapshot,
    open_storage,
    pull,
    push,
)
from ftops.state.storage import BaseStorage


def seeded(storage: BaseStorage, writes: int = 2) -> StateSnapshot:
    snapshot = new_snapshot("demo")
    for value in range(writes):
        snapshot = storage.write(snapshot.with_resources({"datasets.a": {"v": value}}))
    return snapshot


def local_at(tmp_path: Path, name: str) -> BaseStorage:
    return open_storage(BackendConfig(path=f"{name}/ftops.state.json"), tmp_path)


# ---- pull --------------------------------------------------------------------------------------


def test_pull_returns_the_stored_document(backend: BackendUnderTest) -> None:
    storage = backend.open()
    with pytest.raises(StateError, match="no state"):
        pull(storage)
    written = seeded(storage)
    assert StateSnapshot.from_text(pull(storage), "pulled") == written


def test_pull_returns_even_a_malformed_state_for_repair(backend: BackendUnderTest) -> None:
    storage = backend.open()
    storage._store(new_snapshot(None), '{"serial": ', None)
    assert pull(storage) == '{"serial": '


# ---- push --------------------------------------------------------------------------------------


def test_push_refuses_an_older_or_foreign_state(backend: BackendUnderTest) -> None:
    storage = backend.open()
    stored = seeded(storage, writes=3)
    older = replace(stored, serial=2).with_resources({"datasets.a": {"v": "old"}})
    with pytest.raises(StateConflictError, match="newer than serial 2"):
        push(storage, older.to_text())
    same_serial = stored.with_resources({"datasets.a": {"v": "other"}})
    with pytest.raises(StateConflictError, match="same serial 3"):
        push(storage, same_serial.to_text())
    foreign = replace(new_snapshot("demo"), serial=9)
    with pytest.raises(StateConflictError, match="lineage"):
        push(storage, foreign.to_text())
    after = storage.read()
    assert after is not None and after == stored


def test_push_of_a_newer_state_keeps_its_serial(backend: BackendUnderTest) -> None:
    storage = backend.open()
    stored = seeded(storage)
    newer = replace(stored, serial=7).with_resources({"datasets.a": {"v": "repaired"}})
    assert push(storage, newer.to_text()).serial == 7
    after = storage.read()
    assert after is not None and after.serial == 7 and after.resources["datasets.a"]["v"] == "repaired"
    assert push(storage, newer.to_text()).serial == 7  # pushing it again changes nothing
    assert storage.current_lock() is None


def test_forced_push_replaces_anything_and_the_serial_still_grows(backend: BackendUnderTest) -> None:
    storage = backend.open()
    stored = seeded(storage, writes=3)
    foreign = new_snapshot("other").with_resources({"jobs.j": {"id": "x"}})
    result = push(storage, foreign.to_text(), force=True)
    assert result.lineage == foreign.lineage and result.serial == stored.serial + 1
    # A run that still holds the state from before the repair cannot write over it.
    with pytest.raises(StateConflictError):
        storage.write(stored.with_resources({}))


def test_forced_push_repairs_a_malformed_state(backend: BackendUnderTest) -> None:
    storage = backend.open()
    storage._store(new_snapshot(None), "not json", None)
    good = replace(new_snapshot("demo"), serial=4)
    with pytest.raises(StateCorruptError):
        push(storage, good.to_text())
    push(storage, good.to_text(), force=True)
    repaired = storage.read()
    assert repaired is not None and repaired.lineage == good.lineage and repaired.serial == 4


def test_push_checks_the_file_strictly_even_when_forced(backend: BackendUnderTest) -> None:
    storage = backend.open()
    with pytest.raises(StateCorruptError, match=r"backup\.json: state is malformed"):
        push(storage, json.dumps({"format_version": 1}), source="backup.json", force=True)
    assert storage.read() is None


def test_push_waits_for_or_names_the_lock_holder(backend: BackendUnderTest) -> None:
    holder, lock_id = hold_lock(backend, "hold")
    try:
        with pytest.raises(StateLockedError, match=lock_id):
            push(backend.open(), new_snapshot("demo").to_text())
    finally:
        release(holder)


# ---- migrate -----------------------------------------------------------------------------------


def test_migration_keeps_lineage_and_serial(backend: BackendUnderTest, tmp_path: Path) -> None:
    src = local_at(tmp_path, "old")
    original = seeded(src, writes=3)
    dst = backend.open()
    migrated = migrate_state(src, dst)
    assert migrated is not None
    copied = dst.read()
    assert copied is not None
    assert (copied.lineage, copied.serial) == (original.lineage, original.serial) == (migrated.lineage, 3)
    assert copied.content_equal(original)
    assert src.read() == original  # the source is left as it was
    assert migrate_state(src, dst) == copied  # again: nothing to do
    assert src.current_lock() is None and dst.current_lock() is None
    # The migrated state carries on from its serial in the new backend.
    assert dst.write(copied.with_resources({"datasets.a": {"v": "next"}})).serial == 4


def test_migration_refuses_another_lineage_or_a_newer_target(
    backend: BackendUnderTest, tmp_path: Path
) -> None:
    src = local_at(tmp_path, "old")
    dst = backend.open()
    seeded(src)
    target = seeded(dst)
    with pytest.raises(StateConflictError, match="already holds another state"):
        migrate_state(src, dst)
    newer_src = local_at(tmp_path, "other")
    newer_src.replace_stored(replace(target, serial=1).with_resources({}), None)
    with pytest.raises(StateConflictError, match="newer than serial 1"):
        migrate_state(newer_src, dst)
    assert dst.read() == target


def test_migrating_nothing_returns_none(backend: BackendUnderTest, tmp_path: Path) -> None:
    assert migrate_state(local_at(tmp_path, "empty"), backend.open()) is None
    assert backend.open().read() is None


# ---- init's check --------------------------------------------------------------------------------


def test_check_reachable_reports_state_and_lock(backend: BackendUnderTest) -> None:
    storage = backend.open()
    empty = check_reachable(storage)
    assert empty.serial is None and empty.lock is None
    assert empty.summary().endswith("reachable, no state yet")
    written = seeded(storage)
    with locked(storage, "test") as info:
        report = check_reachable(storage)
    lock_id = info.id
    assert report.serial == written.serial and report.lineage == written.lineage
    assert report.lock is not None and report.lock.id == lock_id
    assert f"lock ID {lock_id}" in report.summary()


def test_check_reachable_notes_an_unversioned_bucket(tmp_path: Path, s3_endpoint: str) -> None:
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="ftops-unversioned")
    client.close()
    options = {"bucket": "ftops-unversioned", "endpoint_url": s3_endpoint}
    storage = open_storage(BackendConfig(type="s3", options=options), tmp_path)
    assert check_reachable(storage).notes == (
        "bucket ftops-unversioned has versioning off: earlier states are not kept",
    )
    storage.close()
