"""Cursor pagination as the service does it: ``after`` an object id, ``limit``, ``has_more``."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from ftops.emulator.apierrors import invalid


def cursor_seq(conn: sqlite3.Connection, table: str, after: str | None, param: str = "after") -> int | None:
    """The sequence number of the ``after`` object. Deleted files keep their row, so a cursor
    survives the deletion of the object it names."""
    if after is None:
        return None
    row = conn.execute(f"SELECT seq FROM {table} WHERE id = ?", (after,)).fetchone()
    if row is None:
        raise invalid(f"Invalid '{param}': no object with id {after!r}.", param=param)
    return int(row["seq"])


def page(
    conn: sqlite3.Connection,
    sql: str,
    params: Sequence[Any],
    *,
    after_seq: int | None,
    limit: int,
    descending: bool = True,
) -> tuple[list[sqlite3.Row], bool]:
    """Rows of ``sql`` (a SELECT with a WHERE clause) after the cursor, and whether more remain."""
    if after_seq is not None:
        sql += " AND seq < ?" if descending else " AND seq > ?"
        params = [*params, after_seq]
    sql += f" ORDER BY seq {'DESC' if descending else 'ASC'} LIMIT ?"
    rows = conn.execute(sql, [*params, limit + 1]).fetchall()
    return rows[:limit], len(rows) > limit


def list_body(data: list[dict[str, Any]], has_more: bool, with_ids: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"object": "list", "data": data, "has_more": has_more}
    if with_ids:
        body["first_id"] = data[0]["id"] if data else None
        body["last_id"] = data[-1]["id"] if data else None
    return body
