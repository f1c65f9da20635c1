"""The store refuses a data folder written in another format instead of misreading it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ftops.emulator.store import SCHEMA_VERSION, Store
from ftops.errors import UsageError


def test_reopening_keeps_the_data(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO files (id, filename, purpose, bytes, created_at) "
            "VALUES ('file-1', 'a', 'batch', 1, 0)"
        )
    store.close()
    again = Store(tmp_path)
    with again.reading() as conn:
        assert conn.execute("SELECT id FROM files").fetchall()[0]["id"] == "file-1"
    again.close()


def test_a_failed_transaction_writes_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with pytest.raises(RuntimeError), store.transaction() as conn:
        conn.execute(
            "INSERT INTO files (id, filename, purpose, bytes, created_at) VALUES ('f', 'a', 'b', 1, 0)"
        )
        raise RuntimeError("half-way")
    with store.reading() as conn:
        assert conn.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 0
    store.close()


def test_another_format_is_refused(tmp_path: Path) -> None:
    Store(tmp_path).close()
    with sqlite3.connect(tmp_path / "emulator.sqlite3") as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(UsageError) as refused:
        Store(tmp_path)
    assert "format" in str(refused.value)
