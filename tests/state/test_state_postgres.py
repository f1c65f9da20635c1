"""What only the PostgreSQL backend promises: options, history of every version, clear errors."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from ftops.errors import StateError, UsageError
from ftops.resources import BackendConfig
from ftops.state import new_snapshot, open_storage
from ftops.state.postgres import PostgresStorage


def open_pg(tmp_path: Path, **options: str) -> PostgresStorage:
    storage = open_storage(BackendConfig(type="postgres", options=options), tmp_path)
    assert isinstance(storage, PostgresStorage)
    return storage


def test_options_are_checked(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"unknown option.*FTOPS_PG_CONN"):
        open_pg(tmp_path, password="x")
    with pytest.raises(UsageError, match="not a plain SQL identifier"):
        open_pg(tmp_path, schema='ftops"; DROP TABLE x; --')
    storage = open_pg(tmp_path)
    assert storage.describe() == "postgres ftops/default"


def test_every_version_is_kept_in_the_history(tmp_path: Path, pg_conninfo: str) -> None:
    storage = open_pg(tmp_path, schema="ftops_history", name="history")
    snapshot = new_snapshot("p")
    for value in range(3):
        snapshot = storage.write(snapshot.with_resources({"datasets.a": {"v": value}}))
    storage.write(snapshot.with_resources({"datasets.a": {"v": 2}}))  # no change: no new version
    assert storage.history() == [(1, 1, snapshot.lineage), (2, 2, snapshot.lineage), (3, 3, snapshot.lineage)]
    storage.close()


def test_states_of_different_names_are_independent(tmp_path: Path, pg_conninfo: str) -> None:
    one, two = open_pg(tmp_path, name="one"), open_pg(tmp_path, name="two")
    one.write(new_snapshot("p").with_resources({"jobs.j": {"id": "1"}}))
    assert two.read() is None
    first, second = one.lock("apply"), two.lock("apply")  # separate locks: both succeed
    one.unlock(first.id)
    two.unlock(second.id)
    one.close()
    two.close()


def test_an_unreachable_server_is_one_clear_error_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("FTOPS_PG_CONN", f"postgresql://ftops:hunter2secret@127.0.0.1:{port}/postgres")
    storage = open_pg(tmp_path)
    with pytest.raises(StateError, match="cannot connect to PostgreSQL") as caught:
        storage.read()
    assert "hunter2secret" not in str(caught.value)
    assert "FTOPS_PG_CONN" in (caught.value.hint or "")


def test_the_pg_variables_are_used_without_ftops_pg_conn(
    tmp_path: Path, pg_conninfo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = dict(part.split("=", 1) for part in pg_conninfo.split())
    monkeypatch.delenv("FTOPS_PG_CONN")
    for variable, name in (
        ("PGHOST", "host"),
        ("PGPORT", "port"),
        ("PGUSER", "user"),
        ("PGDATABASE", "dbname"),
    ):
        monkeypatch.setenv(variable, settings[name])
    storage = open_pg(tmp_path, name="from-pg-vars")
    written = storage.write(new_snapshot("p").with_resources({"jobs.j": {"id": "1"}}))
    assert storage.read() == written
    storage.close()
