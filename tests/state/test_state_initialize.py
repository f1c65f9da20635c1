"""init_backend: the reachability check, and moving the state when the backend changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests_state_support import S3_BUCKET

from ftops.errors import StateCorruptError, UsageError
from ftops.resources import BackendConfig
from ftops.state import init_backend, new_snapshot, open_storage
from ftops.state.initialize import RECORD_PATH, recorded_backend

OLD = BackendConfig(path="state/ftops.state.json")
NEW = BackendConfig(path="elsewhere/state.json")


def seed(root: Path, backend: BackendConfig) -> None:
    storage = open_storage(backend, root)
    snapshot = storage.write(new_snapshot("demo").with_resources({"datasets.a": {"v": 1}}))
    storage.write(snapshot.with_resources({"datasets.a": {"v": 2}}))


def test_first_init_records_the_backend(tmp_path: Path) -> None:
    result = init_backend(OLD, tmp_path)
    assert result.reachability.serial is None and result.previous is None and result.migrated is None
    assert recorded_backend(tmp_path) == OLD
    assert json.loads((tmp_path / RECORD_PATH).read_text())["path"] == OLD.path


def test_a_changed_backend_needs_migrate_state_and_then_keeps_lineage_and_serial(tmp_path: Path) -> None:
    init_backend(OLD, tmp_path)
    seed(tmp_path, OLD)
    with pytest.raises(UsageError, match="still in the old one") as caught:
        init_backend(NEW, tmp_path)
    assert "--migrate-state" in (caught.value.hint or "")
    assert recorded_backend(tmp_path) == OLD  # nothing recorded on refusal
    result = init_backend(NEW, tmp_path, migrate=True)
    old_state = open_storage(OLD, tmp_path).read()
    new_state = open_storage(NEW, tmp_path).read()
    assert old_state is not None and new_state is not None
    assert (
        (new_state.lineage, new_state.serial)
        == (old_state.lineage, old_state.serial)
        == (old_state.lineage, 2)
    )
    assert result.previous == OLD and result.migrated is not None and result.reachability.serial == 2
    assert "Migrated the state (serial 2" in result.summary()
    assert recorded_backend(tmp_path) == NEW
    again = init_backend(NEW, tmp_path)
    assert again.previous is None and again.migrated is None


def test_the_first_move_off_the_default_local_file_finds_it(tmp_path: Path, s3_endpoint: str) -> None:
    seed(tmp_path, BackendConfig())
    s3 = BackendConfig(
        type="s3",
        options={"bucket": S3_BUCKET, "key": f"{tmp_path.name}/s.json", "endpoint_url": s3_endpoint},
    )
    with pytest.raises(UsageError, match="still in the old one"):
        init_backend(s3, tmp_path)
    result = init_backend(s3, tmp_path, migrate=True)
    assert result.previous == BackendConfig() and result.migrated is not None
    assert result.reachability.description.startswith("s3://")


def test_a_malformed_record_is_reported(tmp_path: Path) -> None:
    (tmp_path / RECORD_PATH).parent.mkdir()
    (tmp_path / RECORD_PATH).write_text("[]")
    with pytest.raises(StateCorruptError, match="malformed"):
        init_backend(OLD, tmp_path)
