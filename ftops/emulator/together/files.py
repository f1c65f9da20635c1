"""Together's files: the SDK's upload flow, the spec's one-request upload, list, retrieve, delete, content.

The SDK (``together`` 3.x) uploads in three requests: ``POST /v1/files`` with form
fields and no file part, answered with exactly 302, an absolute ``Location`` (the
service's presigned storage URL; here a URL on this server holding a one-time
token) and ``X-Together-File-Id``; a ``PUT`` of the raw bytes to that URL, with no
key, answered with 200; then ``POST /v1/files/{id}/preprocess``. A file whose
sha256 (the form's ``checksum``) matches an uploaded one with the same purpose is
answered with 409 ``{"file_id"}``: the SDK then returns that file (no second
upload). The spec's ``POST /v1/files/upload`` (multipart with the file) is served too.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import uuid
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ftops.emulator.apierrors import ApiError, invalid
from ftops.emulator.http import runtime
from ftops.emulator.ids import random_token
from ftops.emulator.together.http import PREFIX, STORAGE_PREFIX, file_not_found, together_key

PURPOSES = frozenset(
    {"fine-tune", "eval", "eval-sample", "eval-output", "eval-summary", "batch-generated", "batch-api"}
)
FILE_TYPES = frozenset({"jsonl", "csv", "parquet"})
MAX_FILE_BYTES = 512 * 1024 * 1024  # the emulator's cap; the service takes up to 50.1 GB
_CHECKSUM_LENGTH = 64


def file_object(row: sqlite3.Row) -> dict[str, Any]:
    """``FileResponse``: integer ``created_at``, ``FileType`` and ``Processed`` capitalised as on the wire."""
    return {
        "id": row["id"],
        "object": "file",
        "created_at": int(row["created_at"]),
        "filename": row["filename"],
        "bytes": row["bytes"],
        "purpose": row["purpose"],
        "FileType": row["file_type"],
        "Processed": True,
        "processing_status": "COMPLETED",
    }


def live_file(conn: sqlite3.Connection, file_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM together_files WHERE id = ? AND deleted = 0 AND uploaded = 1", (file_id,)
    ).fetchone()
    if row is None:
        raise file_not_found(file_id)
    return row


def _field(form: Any, name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str) or not value:
        raise invalid(f"Missing required parameter: '{name}'.", param=name)
    return value


def _purpose_and_type(form: Any) -> tuple[str, str]:
    purpose = _field(form, "purpose")
    if purpose not in PURPOSES:
        raise invalid(
            f"'{purpose}' is not a valid purpose. Expected one of {sorted(PURPOSES)}.", param="purpose"
        )
    file_type = form.get("file_type") or "jsonl"
    if file_type not in FILE_TYPES:
        raise invalid(
            f"'{file_type}' is not a valid file_type. Expected one of {sorted(FILE_TYPES)}.",
            param="file_type",
        )
    return purpose, str(file_type)


def _new_file_id() -> str:
    return f"file-{uuid.uuid4()}"


async def begin_upload(request: Request) -> Response:
    """Step 1 of the SDK's flow: register the file, hand out where to PUT it."""
    together_key(request)
    rt = runtime(request)
    async with request.form(max_files=0, max_fields=16) as form:
        purpose, file_type = _purpose_and_type(form)
        filename = _field(form, "file_name")
        checksum = str(form.get("checksum") or "").lower() or None
    if checksum is not None and (
        len(checksum) != _CHECKSUM_LENGTH or not all(c in "0123456789abcdef" for c in checksum)
    ):
        raise invalid("'checksum' must be the sha256 of the file, in hex.", param="checksum")
    file_id, token = _new_file_id(), random_token(32)
    with rt.store.transaction() as conn:
        if checksum is not None:
            same = conn.execute(
                "SELECT id FROM together_files WHERE checksum = ? AND purpose = ? AND uploaded = 1 "
                "AND deleted = 0 ORDER BY seq LIMIT 1",
                (checksum, purpose),
            ).fetchone()
            if same is not None:
                return JSONResponse(
                    {"file_id": same["id"], "message": "File already exists."}, status_code=409
                )
        conn.execute(
            "INSERT INTO together_files (id, filename, purpose, file_type, checksum, bytes, created_at, "
            "upload_token, uploaded) VALUES (?, ?, ?, ?, ?, 0, ?, ?, 0)",
            (file_id, filename, purpose, file_type, checksum, rt.clock(), token),
        )
    location = str(request.base_url).rstrip("/") + f"{STORAGE_PREFIX}/{file_id}?token={token}"
    return Response(status_code=302, headers={"Location": location, "X-Together-File-Id": file_id})


def _storage_refusal(message: str) -> ApiError:
    return ApiError(403, message, type="AccessDenied", code="AccessDenied")


async def put_bytes(request: Request) -> Response:
    """Step 2: the presigned PUT. No key (the URL is the credential), exactly 200 on success."""
    rt = runtime(request)
    file_id = request.path_params["file_id"]
    with rt.store.reading() as conn:
        row = conn.execute("SELECT * FROM together_files WHERE id = ? AND deleted = 0", (file_id,)).fetchone()
    if row is None or row["upload_token"] is None or request.query_params.get("token") != row["upload_token"]:
        raise _storage_refusal("The upload URL is not valid (wrong token, or already used).")
    blob = rt.store.blob_path(file_id)
    size = 0
    try:
        with blob.open("wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    raise invalid(f"File is too large: at most {MAX_FILE_BYTES} bytes.", param="file")
                out.write(chunk)
        checksum = await run_in_threadpool(_sha256, blob)
        with rt.store.transaction() as conn:
            claimed = conn.execute(
                "UPDATE together_files SET bytes = ?, checksum = ?, uploaded = 1, upload_token = NULL "
                "WHERE id = ? AND upload_token = ?",
                (size, checksum, file_id, row["upload_token"]),
            ).rowcount
        if not claimed:
            raise _storage_refusal("The upload URL was used meanwhile.")
    except BaseException:
        blob.unlink(missing_ok=True)
        raise
    return Response(status_code=200)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


async def preprocess(request: Request) -> Response:
    """Step 3: the file is ready once its bytes arrived."""
    together_key(request)
    rt = runtime(request)
    file_id = request.path_params["file_id"]
    with rt.store.reading() as conn:
        row = conn.execute("SELECT * FROM together_files WHERE id = ? AND deleted = 0", (file_id,)).fetchone()
    if row is None:
        raise file_not_found(file_id)
    if not row["uploaded"]:
        raise invalid(f"File {file_id} has no content yet: PUT it to its upload URL first.", param="id")
    return JSONResponse(file_object(row))


async def upload_file(request: Request) -> Response:
    """The spec's ``POST /v1/files/upload``: multipart with the file, answered with the file."""
    together_key(request)
    rt = runtime(request)
    async with request.form(max_files=1, max_fields=16) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise invalid("Missing required parameter: 'file'.", param="file")
        purpose, file_type = _purpose_and_type(form)
        filename = str(form.get("file_name") or upload.filename or "upload.jsonl")
        size = upload.size or 0
        if size > MAX_FILE_BYTES:
            raise invalid(f"File is too large: {size} bytes; at most {MAX_FILE_BYTES}.", param="file")
        file_id = _new_file_id()
        blob = rt.store.blob_path(file_id)
        try:
            checksum = await run_in_threadpool(_save, upload, blob)
            with rt.store.transaction() as conn:
                conn.execute(
                    "INSERT INTO together_files (id, filename, purpose, file_type, checksum, bytes, "
                    "created_at, uploaded) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                    (file_id, filename, purpose, file_type, checksum, size, rt.clock()),
                )
                row = live_file(conn, file_id)
        except BaseException:
            blob.unlink(missing_ok=True)
            raise
    return JSONResponse(file_object(row))


def _save(upload: UploadFile, path: Path) -> str:
    upload.file.seek(0)
    with path.open("wb") as out:
        shutil.copyfileobj(upload.file, out, 1024 * 1024)
    return _sha256(path)


async def list_files(request: Request) -> Response:
    """No paging and no filters, as the service's list."""
    together_key(request)
    with runtime(request).store.reading() as conn:
        rows = conn.execute(
            "SELECT * FROM together_files WHERE deleted = 0 AND uploaded = 1 ORDER BY seq DESC"
        ).fetchall()
    return JSONResponse({"object": "list", "data": [file_object(row) for row in rows]})


async def retrieve_file(request: Request) -> Response:
    together_key(request)
    with runtime(request).store.reading() as conn:
        row = live_file(conn, request.path_params["file_id"])
    return JSONResponse(file_object(row))


async def delete_file(request: Request) -> Response:
    together_key(request)
    rt = runtime(request)
    file_id = request.path_params["file_id"]
    with rt.store.transaction() as conn:
        live_file(conn, file_id)
        conn.execute("UPDATE together_files SET deleted = 1 WHERE id = ?", (file_id,))
    # A job that trains on it keeps its own pinned copy (see fine_tunes.create_fine_tune).
    rt.store.blob_path(file_id).unlink(missing_ok=True)
    return JSONResponse({"id": file_id, "object": "file", "deleted": True})


async def file_content(request: Request) -> Response:
    together_key(request)
    rt = runtime(request)
    with rt.store.reading() as conn:
        row = live_file(conn, request.path_params["file_id"])
    return FileResponse(rt.store.blob_path(row["id"]), media_type="text/plain")


ROUTES = [
    Route(f"{PREFIX}/files", begin_upload, methods=["POST"]),
    Route(f"{PREFIX}/files", list_files, methods=["GET"]),
    Route(f"{PREFIX}/files/upload", upload_file, methods=["POST"]),
    Route(f"{PREFIX}/files/{{file_id}}", retrieve_file, methods=["GET"]),
    Route(f"{PREFIX}/files/{{file_id}}", delete_file, methods=["DELETE"]),
    Route(f"{PREFIX}/files/{{file_id}}/content", file_content, methods=["GET"]),
    Route(f"{PREFIX}/files/{{file_id}}/preprocess", preprocess, methods=["POST"]),
    Route(f"{STORAGE_PREFIX}/{{file_id}}", put_bytes, methods=["PUT"]),
]
