"""/v1/files: upload (multipart), list, retrieve, delete, content."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ftops.emulator import training
from ftops.emulator.apierrors import invalid, not_found
from ftops.emulator.http import api_key, query_int, runtime
from ftops.emulator.ids import new_id
from ftops.emulator.jobs_engine import sync_active
from ftops.emulator.pagination import cursor_seq, list_body, page
from ftops.emulator.runtime import Runtime

UPLOAD_PURPOSES = frozenset({"assistants", "batch", "fine-tune", "vision", "user_data", "evals"})
MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_LIST_LIMIT = 10_000
PROCESSING_S = 2.0  # simulated seconds from 'uploaded' to 'processed'


def file_object(row: sqlite3.Row, now: float, speed: float) -> dict[str, Any]:
    processed = (now - row["created_at"]) * speed >= PROCESSING_S or row["purpose"] == "fine-tune-results"
    return {
        "object": "file",
        "id": row["id"],
        "bytes": row["bytes"],
        "created_at": int(row["created_at"]),
        "filename": row["filename"],
        "purpose": row["purpose"],
        "status": "processed" if processed else "uploaded",
    }


def _live_file(conn: sqlite3.Connection, file_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM files WHERE id = ? AND deleted = 0", (file_id,)
    ).fetchone()
    if row is None:
        raise not_found("file", file_id, param="file_id")
    return row


def insert_file(
    rt: Runtime, conn: sqlite3.Connection, filename: str, purpose: str, size: int, file_id: str
) -> str:
    conn.execute(
        "INSERT INTO files (id, filename, purpose, bytes, created_at) VALUES (?, ?, ?, ?, ?)",
        (file_id, filename, purpose, size, rt.clock()),
    )
    return file_id


def check_purpose(purpose: Any, filename: str, allowed: frozenset[str] = UPLOAD_PURPOSES) -> str:
    if not isinstance(purpose, str) or purpose not in allowed:
        raise invalid(
            f"'{purpose}' is not a valid purpose. Expected one of {sorted(allowed)}.", param="purpose"
        )
    if purpose == "fine-tune" and not filename.endswith(".jsonl"):
        raise invalid(
            f"Invalid file format for Fine-Tuning API. Must be .jsonl (got {filename!r}).", param="file"
        )
    return purpose


async def create_file(request: Request) -> Response:
    api_key(request)
    rt = runtime(request)
    async with request.form(max_files=1, max_fields=16) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise invalid("Missing required parameter: 'file'.", param="file")
        filename = upload.filename or "upload"
        purpose = check_purpose(form.get("purpose"), filename)
        size = upload.size or 0
        if size > MAX_FILE_BYTES:
            raise invalid(f"File is too large: {size} bytes; at most {MAX_FILE_BYTES}.", param="file")
        # Blob first, row second: the listing never shows a file whose bytes are not there.
        # (No await may happen inside a transaction: other requests share the loop thread.)
        file_id = new_id("file-")
        blob = rt.store.blob_path(file_id)
        try:
            await run_in_threadpool(_save, upload, blob)
            await refuse_unreadable(purpose, blob)
            with rt.store.transaction() as conn:
                insert_file(rt, conn, filename, purpose, size, file_id)
                row = _live_file(conn, file_id)
        except BaseException:
            blob.unlink(missing_ok=True)
            raise
    return JSONResponse(file_object(row, rt.clock(), rt.speed))


async def refuse_unreadable(purpose: str, blob: Path) -> None:
    """A fine-tuning file whose bytes are not text is refused at upload, as the service does."""
    if purpose != "fine-tune":
        return
    problem = await run_in_threadpool(training.unreadable_text, blob)
    if problem is not None:
        raise invalid(problem.message, param="file", code=problem.code)


def _save(upload: UploadFile, path: Any) -> None:
    upload.file.seek(0)
    with open(path, "wb") as out:
        shutil.copyfileobj(upload.file, out, 1024 * 1024)


async def list_files(request: Request) -> Response:
    api_key(request)
    rt = runtime(request)
    limit = query_int(request, "limit", MAX_LIST_LIMIT, 1, MAX_LIST_LIMIT)
    order = request.query_params.get("order", "desc")
    if order not in ("asc", "desc"):
        raise invalid("Invalid 'order': expected 'asc' or 'desc'.", param="order")
    sql, params = "SELECT * FROM files WHERE deleted = 0", []
    purpose = request.query_params.get("purpose")
    if purpose:
        sql += " AND purpose = ?"
        params.append(purpose)
    now = rt.clock()
    with rt.store.transaction() as conn:
        sync_active(conn, rt, now)
        after = cursor_seq(conn, "files", request.query_params.get("after"))
        rows, has_more = page(conn, sql, params, after_seq=after, limit=limit, descending=order == "desc")
    return JSONResponse(list_body([file_object(row, now, rt.speed) for row in rows], has_more))


async def retrieve_file(request: Request) -> Response:
    api_key(request)
    rt = runtime(request)
    with rt.store.transaction() as conn:
        sync_active(conn, rt, rt.clock())
        row = _live_file(conn, request.path_params["file_id"])
    return JSONResponse(file_object(row, rt.clock(), rt.speed))


async def delete_file(request: Request) -> Response:
    api_key(request)
    rt = runtime(request)
    file_id = request.path_params["file_id"]
    with rt.store.transaction() as conn:
        _live_file(conn, file_id)
        # A tombstone, not a DELETE: list cursors naming this file keep working.
        conn.execute("UPDATE files SET deleted = 1 WHERE id = ?", (file_id,))
    rt.store.blob_path(file_id).unlink(missing_ok=True)
    return JSONResponse({"id": file_id, "object": "file", "deleted": True})


async def file_content(request: Request) -> Response:
    api_key(request)
    rt = runtime(request)
    with rt.store.transaction() as conn:
        sync_active(conn, rt, rt.clock())
        row = _live_file(conn, request.path_params["file_id"])
    if row["purpose"] == "fine-tune" and rt.refuse_training_downloads:
        # The service's words when it keeps a file's content to itself (seen for fine-tune,
        # assistants and user_data files); it still lists and retrieves the file.
        raise invalid(f"Not allowed to download files of purpose: {row['purpose']}")
    # A result file's content is base64 text, whatever its .csv name says.
    csv = row["filename"].endswith(".csv") and row["purpose"] != "fine-tune-results"
    media = "text/csv" if csv else "application/octet-stream"
    return FileResponse(rt.store.blob_path(row["id"]), media_type=media)


ROUTES = [
    Route("/v1/files", create_file, methods=["POST"]),
    Route("/v1/files", list_files, methods=["GET"]),
    Route("/v1/files/{file_id}", retrieve_file, methods=["GET"]),
    Route("/v1/files/{file_id}", delete_file, methods=["DELETE"]),
    Route("/v1/files/{file_id}/content", file_content, methods=["GET"]),
]
