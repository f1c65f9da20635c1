"""Shutdown dates given at start (``--model-shutdown MODEL=DATE``, ``--model-shutdown-file``),
so a test can put a base model's date in the past or a few days ahead.

They are written over the catalog's dates in the store's ``shutdown_dates`` table, the
same table ``PUT /_emulator/shutdown_dates`` writes, so the models listing, retrieve and
job creation all see one answer. A date of ``none`` (or null in a file) clears a date.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from ftops.errors import UsageError

Shutdowns = tuple[tuple[str, str | None], ...]


def _date(model: str, value: Any, where: str) -> str | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null", "")):
        return None
    if isinstance(value, date):  # YAML reads an unquoted 2026-12-01 as a date
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise UsageError(f"{where}: {model}: {value!r} is not a date like 2026-12-01 (or none).") from None


def parse_shutdown(text: str) -> tuple[str, str | None]:
    """``MODEL=DATE`` from the command line."""
    model, sep, value = text.partition("=")
    if not sep or not model.strip():
        raise UsageError(f"--model-shutdown {text!r}: expected MODEL=DATE, e.g. gpt-4o-mini=2026-12-01.")
    return model.strip(), _date(model.strip(), value, "--model-shutdown")


def load_shutdown_file(path: Path) -> Shutdowns:
    """A JSON or YAML map of model id to date (or null)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"--model-shutdown-file {path}: {error.strerror or error}.") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else _yaml(text)
    except ValueError as error:
        raise UsageError(f"--model-shutdown-file {path}: not valid JSON or YAML ({error}).") from None
    if not isinstance(data, dict):
        raise UsageError(f"--model-shutdown-file {path}: expected a map of model id to date.")
    where = f"--model-shutdown-file {path}"
    return tuple((str(model), _date(str(model), value, where)) for model, value in data.items())


def _yaml(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(str(error).replace("\n", " ")) from None


def check(shutdowns: Iterable[tuple[str, str | None]]) -> Shutdowns:
    """Normalised (model, date) pairs; a ``UsageError`` for a bad date, before anything listens."""
    return tuple((model, _date(model, value, "model shutdown")) for model, value in shutdowns)


def write(conn: sqlite3.Connection, shutdowns: Shutdowns) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO shutdown_dates (model, shutdown_date) VALUES (?, ?)", shutdowns
    )


def effective(conn: sqlite3.Connection, model: str, catalog_date: str | None) -> str | None:
    """The date the service announces for ``model`` now: an override, else the catalog's."""
    row = conn.execute("SELECT shutdown_date FROM shutdown_dates WHERE model = ?", (model,)).fetchone()
    return catalog_date if row is None else row["shutdown_date"]
