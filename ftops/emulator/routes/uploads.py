"""/v1/uploads: a large file sent in parts (at most 64 MB each, 8 GB in all), then completed."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ftops.emulator.apierrors import invalid, not_found
from ftops.emulator.http import api_key, json_object, runtime
from ftops.emulator.ids import new_id
from ftops.emulator.routes.files import check_purpose, file_object, insert_file, refuse_unreadable
from ftops.emulator.runtime import Runtime
from ftops.emulator.store import Store

MAX_PART_BYTES = 64 * 1024 * 1024
MAX_UPLOAD_BYTES = 8 * 1024 * 1024 * 1024
UPLOAD_PURPOSES = frozenset({"assistants", "batch", "fine-tune", "vision", "user_data"})
EXPIRES_AFTER_S = 3600  # real seconds, as the service's hour


def _upload_row(conn: sqlite3.Connection, upload_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM uploads WHERE id = ?", (upload_id,)).fetchone()
    if row is None:
        raise not_found("upload", upload_id, param="upload_id")
    return row


def _status(row: sqlite3.Row, now: float) -> str:
    if row["status"] == "pending" and now >= row["expires_at"]:
        return "expired"
    return str(row["status"])


def upload_object(conn: sqlite3.Connection, rt: Runtime, row: sqlite3.Row) -> dict[str, Any]:
    now = rt.clock()
    file = None
    if row["file_id"]:
        file_row = conn.execute("SELECT * FROM files WHERE id = ?", (row["file_id"],)).fetchone()
        file = file_object(file_row, now, rt.speed) if file_row else None
    return {
        "object": "upload",
        "id": row["id"],
        "created_at": int(row["created_at"]),
        "filename": row["filename"],
        "bytes": row["bytes"],
        "purpose": row["purpose"],
        "status": _status(row, now),
        "expires_at": int(row["expires_at"]),
        "file": file,
    }


async def create_upload(request: Request) -> Response:
    api_key(request)
    rt = runtime(request)
    body = await json_object(request)
    filename, size, mime_type = body.get("filename"), body.get("bytes"), body.get("mime_type")
    if not isinstance(filename, str) or not filename:
        raise invalid("Missing required parameter: 'filename'.", param="filename")
    purpose = check_purpose(body.get("purpose"), filename, UPLOAD_PURPOSES)
    if not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= MAX_UPLOAD_BYTES:
        raise invalid(f"'bytes' must be an integer from 1 to {MAX_UPLOAD_BYTES}.", param="bytes")
    if not isinstance(mime_type, str) or not mime_type:
        raise invalid("Missing required parameter: 'mime_type'.", param="mime_type")
    now = rt.clock()
    upload_id = new_id("upload_")
    with rt.store.transaction() as conn:
        conn.execute(
            "INSERT INTO uploads (id, filename, purpose, bytes, mime_type, created_at, expires_at, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')",
            (upload_id, filename, purpose, size, mime_type, now, now + EXPIRES_AFTER_S),
        )
        return JSONResponse(upload_object(conn, rt, _upload_row(conn, upload_id)))


def _pending(conn: sqlite3.Connection, upload_id: str, now: float) -> sqlite3.Row:
    row = _upload_row(conn, upload_id)
    status = _status(row, now)
    if status != "pending":
        raise invalid(f"Upload {upload_id} is {status}; it no longer accepts changes.", param="upload_id")
    return row


async def add_part(request: Request) -> Response:
    api_key(request)
    rt = runtime(request)
    upload_id = request.path_params["upload_id"]
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_PART_BYTES + 64 * 1024:  # refuse before reading it
        raise invalid(f"A part may be at most {MAX_PART_BYTES} bytes.", param="data")
    with rt.store.reading() as conn:
        _pending(conn, upload_id, rt.clock())
    part_id = new_id("part_")
    path = rt.store.part_path(part_id)
    async with request.form(max_files=1, max_fields=4) as form:
        data = form.get("data")
        if not isinstance(data, UploadFile):
            raise invalid("Missing required parameter: 'data'.", param="data")
        size = data.size or 0
        if size > MAX_PART_BYTES:
            raise invalid(f"A part may be at most {MAX_PART_BYTES} bytes; got {size}.", param="data")
        await run_in_threadpool(_save_part, data, path)
    try:
        with rt.store.transaction() as conn:
            _pending(conn, upload_id, rt.clock())
            now = rt.clock()
            conn.execute(
                "INSERT INTO upload_parts (id, upload_id, bytes, created_at) VALUES (?, ?, ?, ?)",
                (part_id, upload_id, size, now),
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return JSONResponse(
        {"object": "upload.part", "id": part_id, "created_at": int(now), "upload_id": upload_id}
    )


def _save_part(data: UploadFile, path: Any) -> None:
    data.file.seek(0)
    with open(path, "wb") as out:
        shutil.copyfileobj(data.file, out, 1024 * 1024)


def _assemble(store: Store, part_ids: list[str], target: Any) -> str:
    """Concatenate the parts in the given order; return the MD5 of the result."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(target, "wb") as out:
        for part_id in part_ids:
            with open(store.part_path(part_id), "rb") as part:
                while chunk := part.read(1024 * 1024):
                    digest.update(chunk)
                    out.write(chunk)
    return digest.hexdigest()


async def complete_upload(request: Request) -> Response:
    api_key(request)
    rt = runtime(request)
    upload_id = request.path_params["upload_id"]
    body = await json_object(request)
    part_ids = body.get("part_ids")
    if not isinstance(part_ids, list) or not all(isinstance(p, str) for p in part_ids) or not part_ids:
        raise invalid("'part_ids' must be a non-empty list of part ids.", param="part_ids")
    if len(set(part_ids)) != len(part_ids):
        raise invalid("'part_ids' names a part twice.", param="part_ids")
    md5 = body.get("md5")
    if md5 is not None and not isinstance(md5, str):
        raise invalid("'md5' must be a hex string.", param="md5")
    with rt.store.reading() as conn:
        upload = _pending(conn, upload_id, rt.clock())
        placeholders = ",".join("?" * len(part_ids))
        parts = conn.execute(
            f"SELECT id, bytes FROM upload_parts WHERE upload_id = ? AND id IN ({placeholders})",
            [upload_id, *part_ids],
        ).fetchall()
    if len(parts) != len(part_ids):
        missing = sorted(set(part_ids) - {p["id"] for p in parts})
        raise invalid(f"Part {missing[0]} does not belong to upload {upload_id}.", param="part_ids")
    total = sum(p["bytes"] for p in parts)
    if total != upload["bytes"]:
        raise invalid(
            f"The parts hold {total} bytes, but the upload was created for {upload['bytes']} bytes.",
            param="part_ids",
        )
    file_id = new_id("file-")
    blob = rt.store.blob_path(file_id)
    try:
        digest = await run_in_threadpool(_assemble, rt.store, part_ids, blob)
        if md5 and md5.lower() != digest:
            raise invalid(f"The parts' MD5 is {digest}, not the {md5} given.", param="md5")
        await refuse_unreadable(upload["purpose"], blob)
        with rt.store.transaction() as conn:
            _pending(conn, upload_id, rt.clock())
            insert_file(rt, conn, upload["filename"], upload["purpose"], total, file_id)
            conn.execute(
                "UPDATE uploads SET status = 'completed', file_id = ? WHERE id = ?", (file_id, upload_id)
            )
            row = _upload_row(conn, upload_id)
            result = upload_object(conn, rt, row)
    except BaseException:
        blob.unlink(missing_ok=True)
        raise
    _remove_parts(rt.store, upload_id)
    return JSONResponse(result)


def _remove_parts(store: Store, upload_id: str) -> None:
    with store.reading() as conn:
        ids = [
            row["id"] for row in conn.execute("SELECT id FROM upload_parts WHERE upload_id = ?", (upload_id,))
        ]
    for part_id in ids:
        store.part_path(part_id).unlink(missing_ok=True)


async def cancel_upload(request: Request) -> Response:
    api_key(request)
    rt = runtime(request)
    upload_id = request.path_params["upload_id"]
    with rt.store.transaction() as conn:
        _pending(conn, upload_id, rt.clock())
        conn.execute("UPDATE uploads SET status = 'cancelled' WHERE id = ?", (upload_id,))
        result = upload_object(conn, rt, _upload_row(conn, upload_id))
    _remove_parts(rt.store, upload_id)
    return JSONResponse(result)


ROUTES = [
    Route("/v1/uploads", create_upload, methods=["POST"]),
    Route("/v1/uploads/{upload_id}/parts", add_part, methods=["POST"]),
    Route("/v1/uploads/{upload_id}/complete", complete_upload, methods=["POST"]),
    Route("/v1/uploads/{upload_id}/cancel", cancel_upload, methods=["POST"]),
]
