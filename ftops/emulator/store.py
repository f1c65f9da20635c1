"""Persistence: one SQLite database and a blob folder under the data directory.

Handlers never await while a transaction is open: every request shares the
loop thread, and the lock is re-entrant for it.

Everything the emulator knows lives here, so a restart (or a second process on
the same folder) sees the same files, uploads, jobs and models. Request
handlers run on uvicorn's single event loop, but tests and the benchmark seed
the store from other threads, so every access goes through one lock; WAL mode
lets a second process read while this one writes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ftops.errors import UsageError

SCHEMA_VERSION = 1  # bump on any incompatible change to the tables below

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    filename TEXT NOT NULL,
    purpose TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    created_at REAL NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS files_purpose ON files (purpose, deleted, seq);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY,
    filename TEXT NOT NULL,
    purpose TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    mime_type TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    status TEXT NOT NULL,
    file_id TEXT
);
CREATE TABLE IF NOT EXISTS upload_parts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    upload_id TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,            -- the accepted request, normalised (JSON)
    plan TEXT NOT NULL,            -- the simulated run decided at creation (JSON)
    created_at REAL NOT NULL,
    speed REAL NOT NULL,
    state TEXT NOT NULL,           -- active | succeeded | failed | cancelled
    synced_v REAL NOT NULL DEFAULT -1,   -- simulated second up to which events are written
    paused_at REAL,
    paused_total REAL NOT NULL DEFAULT 0,
    ended_at REAL,
    result_file TEXT
);
CREATE TABLE IF NOT EXISTS job_metadata (
    job_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (job_id, key)
);
CREATE INDEX IF NOT EXISTS job_metadata_kv ON job_metadata (key, value);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    job_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_job ON events (job_id, seq);
CREATE TABLE IF NOT EXISTS checkpoints (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    job_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    step INTEGER NOT NULL,
    model TEXT NOT NULL,
    metrics TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS checkpoints_job ON checkpoints (job_id, seq);
CREATE TABLE IF NOT EXISTS models (
    id TEXT PRIMARY KEY,
    created INTEGER NOT NULL,
    owned_by TEXT NOT NULL,
    job_id TEXT,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS shutdown_dates (
    model TEXT PRIMARY KEY,
    shutdown_date TEXT
);
"""


class Store:
    """The database connection, its lock, and where blobs go."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.blob_dir = data_dir / "blobs"
        self.part_dir = data_dir / "parts"
        # Each job keeps its own link to its training data: the model still "knows" it
        # after the training file is deleted, as a real fine-tuned model would.
        self.training_dir = data_dir / "training"
        for folder in (self.blob_dir, self.part_dir, self.training_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            data_dir / "emulator.sqlite3", check_same_thread=False, isolation_level=None
        )
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            self._conn.close()
            raise UsageError(
                f"{data_dir} holds emulator data of format {version}; this ftops reads format "
                f"{SCHEMA_VERSION}. Use another --data folder (or delete this one)."
            )
        self._conn.executescript(_SCHEMA)
        self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All-or-nothing: a failed request leaves no half-written rows."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    def blob_path(self, file_id: str) -> Path:
        return self.blob_dir / file_id

    def training_copy_path(self, job_id: str) -> Path:
        return self.training_dir / f"{job_id}.jsonl"

    def part_path(self, part_id: str) -> Path:
        return self.part_dir / part_id

    def close(self) -> None:
        with self._lock:
            self._conn.close()
