"""The PostgreSQL backend: the state in a table, every version in a history table,
and the lock as a session advisory lock plus a row naming its holder.

- Writes are a compare-and-swap on a per-state ``version`` column
  (``UPDATE ... WHERE version = <read>``), so a run that read an older version
  cannot overwrite a newer one, lock or no lock. Each stored version is also
  appended to ``ftops_state_history``.
- The lock is ``pg_try_advisory_lock`` held by a dedicated session for as long
  as the lock is held plus a row in ``ftops_locks`` with the holder's details and
  lease (so messages and ``force-unlock`` can name it). The row decides who holds
  the lock; a held advisory lock proves its holder alive, but a free one proves
  nothing: a server restart ends every session while the holders still run (issue
  22). So a row whose advisory lock is free is stale only once its lease has run out
  unrenewed (or its pid is gone on this host); the holder's heartbeat reconnects,
  takes its advisory lock again and renews the row. Never taken over; removed by
  ``force-unlock ID``.
- A connection that breaks (a restart, a failover) is opened again with backoff for up
  to ``RECONNECT_WINDOW`` seconds before an operation fails, once this storage has
  connected at all (a wrong address still fails at once). A write whose answer was
  lost that way is recognised by the write rule (``BaseStorage.write``).
- The highest serial held for a lineage is read from ``ftops_state_history``.

The connection string comes from ``FTOPS_PG_CONN``, or else libpq's own ``PG*``
variables (PGHOST, PGUSER, PGPASSWORD, ...); never from manifests or the state.
Options: ``schema`` (default ``ftops``) and ``name`` (default ``default``), so one
database can hold the states of several projects.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ftops.errors import StateConflictError, StateError, UsageError
from ftops.secrets import redact
from ftops.state.lock import LockInfo, check_force_unlock, judge_alive
from ftops.state.snapshot import StateSnapshot
from ftops.state.storage import BaseStorage

if TYPE_CHECKING:
    import psycopg

T = TypeVar("T")

OPTIONS = ("schema", "name")
# How long a broken connection is tried again (a restart takes seconds; a failover, tens).
RECONNECT_WINDOW = 60.0
CONN_ENV = "FTOPS_PG_CONN"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
# Serializes the one-time CREATE ... IF NOT EXISTS of concurrent first runs (which can race).
_DDL_LOCK_KEY = 0x667470735F646464  # "ftops_ddd"

_DDL = """
CREATE SCHEMA IF NOT EXISTS {schema};
CREATE TABLE IF NOT EXISTS {schema}.ftops_states (
    name text PRIMARY KEY,
    lineage text NOT NULL,
    serial bigint NOT NULL,
    version bigint NOT NULL,
    body text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {schema}.ftops_state_history (
    name text NOT NULL,
    version bigint NOT NULL,
    lineage text NOT NULL,
    serial bigint NOT NULL,
    body text NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS {schema}.ftops_locks (
    name text PRIMARY KEY,
    id text NOT NULL,
    info text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
"""


class PostgresStorage(BaseStorage):
    backend = "postgres"

    def __init__(self, conninfo: str, schema: str = "ftops", name: str = "default") -> None:
        super().__init__()
        self._conninfo = conninfo
        self.schema = schema
        self.name = name
        self._conn: psycopg.Connection[Any] | None = None
        self._held: dict[str, psycopg.Connection[Any]] = {}  # lock id -> session holding it
        self._advisory: set[str] = set()  # lock ids whose session holds the advisory lock
        self._tables_ready = False  # created (if missing) once per storage, on first connect
        digest = hashlib.sha256(f"ftops:{schema}:{name}".encode()).digest()
        self._lock_key = int.from_bytes(digest[:8], "big", signed=True)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> PostgresStorage:
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise UsageError(
                f"postgres backend: unknown option(s) {', '.join(unknown)}; known: {', '.join(OPTIONS)} "
                f"(the connection comes from {CONN_ENV} or the PG* variables)"
            )
        schema = options.get("schema", "ftops")
        name = options.get("name", "default")
        if not isinstance(schema, str) or not _IDENTIFIER.fullmatch(schema):
            raise UsageError(f"postgres backend: schema {schema!r} is not a plain SQL identifier")
        if not isinstance(name, str) or not name:
            raise UsageError("postgres backend: name must be a non-empty string")
        return cls(os.environ.get(CONN_ENV, ""), schema=schema, name=name)

    def describe(self) -> str:
        return f"postgres {self.schema}/{self.name}"

    # ---- connections -------------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[Any]:
        import psycopg

        deadline = time.monotonic() + RECONNECT_WINDOW
        delay = 0.2
        while True:
            try:
                # An empty conninfo makes libpq read PGHOST, PGUSER, PGPASSWORD, ... itself.
                conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=10)
                break
            except psycopg.Error as error:
                # Once this storage has reached the server, a refusal is a restart in progress.
                if not self._tables_ready or time.monotonic() + delay > deadline:
                    raise StateError(
                        f"cannot connect to PostgreSQL for {self.describe()}: {redact(str(error)).strip()}",
                        hint=f"Set {CONN_ENV} or the PG* variables (PGHOST, PGUSER, PGPASSWORD, PGDATABASE).",
                    ) from error
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
        if not self._tables_ready:
            self._create_tables(conn)
            self._tables_ready = True
        return conn

    @property
    def conn(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
        return self._conn

    def _create_tables(self, conn: psycopg.Connection[Any]) -> None:
        with self._errors("create the state tables"), conn.transaction(), conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_DDL_LOCK_KEY,))
            cur.execute(_DDL.format(schema=self._schema_sql()).encode())

    def _schema_sql(self) -> str:
        # Validated as a plain identifier in from_options; quoted all the same.
        return '"' + self.schema.replace('"', '""') + '"'

    def _sql(self, template: str) -> bytes:
        return template.replace("{schema}", self._schema_sql()).encode()

    def _errors(self, what: str) -> contextlib.AbstractContextManager[None]:
        return _mapped_errors(what, self.describe())

    def _run(self, what: str, operation: Callable[[psycopg.Connection[Any]], T]) -> T:
        """``operation`` on the shared connection, opened again with backoff if it broke."""
        import psycopg

        deadline = time.monotonic() + RECONNECT_WINDOW
        delay = 0.2
        while True:
            conn = self.conn
            try:
                with self._errors(what):
                    return operation(conn)
            except StateError as error:
                lost = conn.closed or conn.broken
                broken = lost and isinstance(error.__cause__, psycopg.OperationalError)
                if not broken or time.monotonic() + delay > deadline:
                    raise
                self._conn = None
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    # ---- state ---------------------------------------------------------------------------

    def _load(self) -> tuple[bytes | None, str | None]:
        def load(conn: psycopg.Connection[Any]) -> Any:
            with conn.cursor() as cur:
                cur.execute(
                    self._sql("SELECT body, version FROM {schema}.ftops_states WHERE name = %s"), (self.name,)
                )
                return cur.fetchone()

        row = self._run("read the state", load)
        if row is None:
            return None, None
        return str(row[0]).encode("utf-8"), str(row[1])

    def _store(self, snapshot: StateSnapshot, text: str, expected: str | None) -> None:
        self._run("write the state", lambda conn: self._store_on(conn, snapshot, text, expected))

    def _store_on(
        self, conn: psycopg.Connection[Any], snapshot: StateSnapshot, text: str, expected: str | None
    ) -> None:
        with conn.transaction(), conn.cursor() as cur:
            if expected is None:
                cur.execute(
                    self._sql(
                        "INSERT INTO {schema}.ftops_states (name, lineage, serial, version, body) "
                        "VALUES (%s, %s, %s, 1, %s) ON CONFLICT (name) DO NOTHING RETURNING version"
                    ),
                    (self.name, snapshot.lineage, snapshot.serial, text),
                )
            else:
                cur.execute(
                    self._sql(
                        "UPDATE {schema}.ftops_states SET lineage = %s, serial = %s, body = %s, "
                        "version = version + 1, updated_at = now() "
                        "WHERE name = %s AND version = %s RETURNING version"
                    ),
                    (snapshot.lineage, snapshot.serial, text, self.name, int(expected)),
                )
            row = cur.fetchone()
            if row is None:
                raise StateConflictError(
                    f"state {self.describe()} changed since it was read: another run wrote it",
                    hint="Run the command again: it will start from the newer state.",
                )
            cur.execute(
                self._sql(
                    "INSERT INTO {schema}.ftops_state_history (name, version, lineage, serial, body) "
                    "VALUES (%s, %s, %s, %s, %s)"
                ),
                (self.name, row[0], snapshot.lineage, snapshot.serial, text),
            )

    def history(self) -> list[tuple[int, int, str]]:
        """Every stored version, oldest first: (version, serial, lineage)."""

        def read(conn: psycopg.Connection[Any]) -> list[tuple[int, int, str]]:
            with conn.cursor() as cur:
                cur.execute(
                    self._sql(
                        "SELECT version, serial, lineage FROM {schema}.ftops_state_history "
                        "WHERE name = %s ORDER BY version"
                    ),
                    (self.name,),
                )
                return [(int(v), int(s), str(lin)) for v, s, lin in cur.fetchall()]

        return self._run("read the state history", read)

    def highest_serial(self, lineage: str) -> int | None:
        def read(conn: psycopg.Connection[Any]) -> Any:
            with conn.cursor() as cur:
                cur.execute(
                    self._sql(
                        "SELECT max(serial) FROM {schema}.ftops_state_history "
                        "WHERE name = %s AND lineage = %s"
                    ),
                    (self.name, lineage),
                )
                return cur.fetchone()

        row = self._run("read the state history", read)
        return None if row is None or row[0] is None else int(row[0])

    def _load_highest(self) -> tuple[str, int] | None:  # pragma: no cover - highest_serial reads the history
        return None

    def _store_highest(self, lineage: str, serial: int) -> None:
        """Nothing to do: ``_store`` appends every version to the history in its transaction."""

    # ---- lock ------------------------------------------------------------------------------

    def _try_lock(self, info: LockInfo) -> LockInfo | None:
        session = self._connect()
        try:
            with self._errors("take the lock"), session.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_lock(%s)", (self._lock_key,))
                got = cur.fetchone()
                if not (got and got[0]):
                    session.close()
                    # Taken a moment ago and its row not written yet: ``info`` asks for another look.
                    return self.current_lock() or info
                cur.execute(
                    self._sql(
                        "INSERT INTO {schema}.ftops_locks (name, id, info) VALUES (%s, %s, %s) "
                        "ON CONFLICT (name) DO NOTHING RETURNING id"
                    ),
                    (self.name, info.id, json.dumps(info.to_json())),
                )
                if cur.fetchone() is None:
                    # The advisory lock was free but a row is there: its holder's session ended.
                    session.close()  # which also drops the advisory lock we just took
                    return self.current_lock() or info
        except BaseException:
            session.close()
            raise
        self._held[info.id] = session
        self._advisory.add(info.id)
        return None

    def current_lock(self) -> LockInfo | None:
        def read(conn: psycopg.Connection[Any]) -> tuple[Any, Any]:
            with conn.cursor() as cur:
                cur.execute(self._sql("SELECT info FROM {schema}.ftops_locks WHERE name = %s"), (self.name,))
                row = cur.fetchone()
                if row is None:
                    return None, None
                # pg_locks shows a bigint advisory key as its two 32-bit halves.
                key = self._lock_key & 0xFFFFFFFFFFFFFFFF
                cur.execute(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND classid = %s::bigint::oid AND objid = %s::bigint::oid AND objsubid = 1 "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
                    (key >> 32, key & 0xFFFFFFFF),
                )
                return row, cur.fetchone()

        row, session = self._run("read the lock", read)
        if row is None:
            return None
        try:
            parsed = json.loads(row[0])
        except ValueError:
            parsed = None
        holder = LockInfo.from_json(parsed, f"{self.describe()} lock row")
        # A held advisory lock proves the holder's session alive; a free one proves nothing
        # (a restart ends every session), so then the lease decides.
        return holder.with_alive(judge_alive(holder, proof=True if session and session[0] else None))

    def _renew_lock(self, info: LockInfo) -> bool:
        import psycopg

        session = self._held.get(info.id)
        if session is None:
            return False
        if session.closed or session.broken:
            session = self._connect()  # raises StateError while the server is away: retried
            self._held[info.id] = session
            self._advisory.discard(info.id)
        try:
            with session.cursor() as cur:
                # Take the advisory lock back after a reconnect (once per session: it counts);
                # a newcomer that holds it for a moment meets our row and backs off.
                if info.id not in self._advisory:
                    cur.execute("SELECT pg_try_advisory_lock(%s)", (self._lock_key,))
                    got = cur.fetchone()
                    if got and got[0]:
                        self._advisory.add(info.id)
                cur.execute(
                    self._sql(
                        "UPDATE {schema}.ftops_locks SET info = %s WHERE name = %s AND id = %s RETURNING id"
                    ),
                    (json.dumps(info.to_json()), self.name, info.id),
                )
                return cur.fetchone() is not None
        except psycopg.Error as error:
            session.close()
            problem = redact(str(error)).strip()
            raise StateError(f"cannot renew the lock in {self.describe()}: {problem}") from error

    def _release(self, lock_id: str) -> None:
        import psycopg

        session = self._held.pop(lock_id, None)
        self._advisory.discard(lock_id)
        if session is None:
            raise StateError(f"lock {lock_id} on {self.describe()} is not held by this process")
        try:
            with session.cursor() as cur:
                cur.execute(
                    self._sql("DELETE FROM {schema}.ftops_locks WHERE name = %s AND id = %s"),
                    (self.name, lock_id),
                )
                cur.execute("SELECT pg_advisory_unlock(%s)", (self._lock_key,))
            return
        except psycopg.Error:
            pass  # the session broke (a restart): the row is removed below, on a new connection
        finally:
            session.close()
        self._run("release the lock", lambda conn: conn.execute(
            self._sql("DELETE FROM {schema}.ftops_locks WHERE name = %s AND id = %s"), (self.name, lock_id)
        ))

    def force_unlock(self, lock_id: str) -> None:
        check_force_unlock(self.current_lock(), lock_id, self.describe(), still_running="that run")
        self._run("remove the lock", lambda conn: conn.execute(
            self._sql("DELETE FROM {schema}.ftops_locks WHERE name = %s AND id = %s"), (self.name, lock_id)
        ))

    def close(self) -> None:
        super().close()
        for lock_id in list(self._held):
            self._held.pop(lock_id).close()
        if self._conn is not None:
            self._conn.close()
            self._conn = None


@contextlib.contextmanager
def _mapped_errors(what: str, where: str) -> Iterator[None]:
    """Turn a database error into one clear ``StateError`` (ftops errors pass through)."""
    import psycopg

    try:
        yield
    except psycopg.Error as error:
        raise StateError(f"cannot {what} in {where}: {redact(str(error)).strip()}") from error
