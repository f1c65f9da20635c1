"""What only the local backend promises: file modes, the backup, atomicity, the lock file."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from tests_state_support import BackendUnderTest, hold_lock, release

from ftops.errors import StateError, StateLockedError, UsageError
from ftops.resources import BackendConfig
from ftops.state import new_snapshot, open_storage
from ftops.state.local import LocalStorage


def make(tmp_path: Path) -> LocalStorage:
    storage = open_storage(BackendConfig(), tmp_path)
    assert isinstance(storage, LocalStorage)
    return storage


def test_default_path_is_under_the_project_root(tmp_path: Path) -> None:
    storage = make(tmp_path)
    assert storage.path == tmp_path / "state" / "ftops.state.json"
    assert storage.describe() == "local state/ftops.state.json"


def test_state_file_is_private_and_the_previous_version_is_kept(tmp_path: Path) -> None:
    storage = make(tmp_path)
    first = storage.write(new_snapshot("p").with_resources({"datasets.a": {"v": 1}}))
    assert not storage.backup_path.exists()
    storage.write(first.with_resources({"datasets.a": {"v": 2}}))
    assert stat.S_IMODE(storage.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(storage.backup_path.stat().st_mode) == 0o600
    backup = json.loads(storage.backup_path.read_text())
    assert backup["serial"] == 1 and backup["resources"]["datasets.a"] == {"v": 1}
    assert json.loads(storage.path.read_text())["serial"] == 2
    assert sorted(p.name for p in storage.path.parent.iterdir()) == [
        "ftops.state.json",
        "ftops.state.json.backup",
        "ftops.state.json.highest",  # the highest serial held, to notice a restored backup
    ]


def test_a_crash_during_the_rename_leaves_the_old_state_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = make(tmp_path)
    first = storage.write(new_snapshot("p").with_resources({"datasets.a": {"v": 1}}))
    before = storage.path.read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    # A full disk is one line naming the state file, not a bare "No space left on device".
    named = r"cannot keep the backup: .*/state/ftops\.state\.json\.backup: No space left on device"
    with pytest.raises(StateError, match=named):
        storage.write(first.with_resources({"datasets.a": {"v": 2}}))
    monkeypatch.undo()
    assert storage.path.read_bytes() == before
    assert not [p for p in storage.path.parent.iterdir() if p.name.endswith(".tmp")]


def test_the_lock_file_names_its_holder(tmp_path: Path) -> None:
    storage = make(tmp_path)
    info = storage.lock("apply")
    details = json.loads(storage.lock_path.read_text())
    assert details["id"] == info.id and details["operation"] == "apply"
    assert details["pid"] == os.getpid() and "@" in details["who"]
    assert stat.S_IMODE(storage.lock_path.stat().st_mode) == 0o600
    storage.unlock(info.id)
    assert not storage.lock_path.exists()


def test_a_crashed_holder_is_reported_stale_and_not_taken_over(tmp_path: Path) -> None:
    backend = BackendUnderTest(type="local", root=tmp_path)
    crashed, lock_id = hold_lock(backend, "crash")
    crashed.wait(timeout=60)
    storage = make(tmp_path)
    holder = storage.current_lock()
    assert holder is not None and holder.holder_alive is False
    with pytest.raises(StateLockedError, match="stale") as caught:
        storage.lock("apply", timeout=0.3)
    assert f"ftops force-unlock {lock_id}" in (caught.value.hint or "")
    assert storage.lock_path.exists()


def test_a_live_holder_is_reported_alive(tmp_path: Path) -> None:
    backend = BackendUnderTest(type="local", root=tmp_path)
    holder_proc, _ = hold_lock(backend, "hold")
    try:
        holder = make(tmp_path).current_lock()
        assert holder is not None and holder.holder_alive is True and holder.pid == holder_proc.pid
    finally:
        release(holder_proc)


def test_an_unknown_backend_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown state backend 'ftp'"):
        open_storage(BackendConfig(type="ftp"), tmp_path)
