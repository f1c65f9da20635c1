"""Choose a storage from the manifests' ``backend`` block."""

from __future__ import annotations

from pathlib import Path

from ftops.errors import UsageError
from ftops.extras import require
from ftops.resources import BackendConfig
from ftops.state.storage import BaseStorage

BACKEND_TYPES = ("local", "s3", "postgres")


def open_storage(backend: BackendConfig, project_root: Path) -> BaseStorage:
    """The storage the manifests name. Remote clients are imported only when used, and come
    from extras (``ftops[s3]``, ``ftops[postgres]``): a missing one is one clear error."""
    if backend.type == "local":
        from ftops.state.local import LocalStorage

        path = Path(backend.path)
        absolute = path if path.is_absolute() else project_root / path
        return LocalStorage(absolute, display=backend.path)
    if backend.type == "s3":
        require("boto3", "s3", "the s3 state backend")
        from ftops.state.s3 import S3Storage

        return S3Storage.from_options(backend.options)
    if backend.type == "postgres":
        require("psycopg", "postgres", "the postgres state backend")
        from ftops.state.postgres import PostgresStorage

        return PostgresStorage.from_options(backend.options)
    raise UsageError(f"unknown state backend {backend.type!r}: expected one of {', '.join(BACKEND_TYPES)}")
