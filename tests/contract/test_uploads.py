"""Uploads: a file sent in parts, assembled in the order given, checked against its size."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx2
import openai
import pytest
from openai import OpenAI

from ftops.emulator import RunningEmulator
from ftops.emulator.routes import uploads as upload_routes

from .data import wait_for_status


def test_parts_complete_into_a_file_in_the_given_order(client: OpenAI, training_file: Path) -> None:
    data = training_file.read_bytes()
    chunks = [data[:100], data[100:1000], data[1000:]]
    upload = client.uploads.create(
        filename="chunsik.jsonl", purpose="fine-tune", bytes=len(data), mime_type="application/jsonl"
    )
    assert upload.status == "pending" and upload.file is None
    # Sent out of order; the completion's list decides the order of the bytes.
    second = client.uploads.parts.create(upload.id, data=chunks[1])
    third = client.uploads.parts.create(upload.id, data=chunks[2])
    first = client.uploads.parts.create(upload.id, data=chunks[0])
    assert first.upload_id == upload.id and first.id.startswith("part_")
    order = [first.id, second.id, third.id]
    with pytest.raises(openai.BadRequestError) as wrong_sum:
        client.uploads.complete(upload.id, part_ids=order, md5="0" * 32)
    assert wrong_sum.value.body["param"] == "md5"  # type: ignore[index]
    done = client.uploads.complete(upload.id, part_ids=order, md5=hashlib.md5(data).hexdigest())
    assert done.status == "completed"
    assert done.file is not None and done.file.bytes == len(data) and done.file.purpose == "fine-tune"
    assert client.files.content(done.file.id).content == data
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=done.file.id)
    assert wait_for_status(client, job.id, {"succeeded", "failed"}).status == "succeeded"
    with pytest.raises(openai.BadRequestError):
        client.uploads.parts.create(upload.id, data=b"more")  # completed: closed


def test_byte_total_must_match(client: OpenAI) -> None:
    upload = client.uploads.create(filename="a.jsonl", purpose="fine-tune", bytes=10, mime_type="text/jsonl")
    part = client.uploads.parts.create(upload.id, data=b"12345")
    with pytest.raises(openai.BadRequestError) as short:
        client.uploads.complete(upload.id, part_ids=[part.id])
    assert short.value.body["param"] == "part_ids"  # type: ignore[index]
    other = client.uploads.create(filename="b.jsonl", purpose="fine-tune", bytes=5, mime_type="text/jsonl")
    with pytest.raises(openai.BadRequestError):
        client.uploads.complete(other.id, part_ids=[part.id])  # a part of another upload
    assert client.files.list().data == []


def test_cancel(client: OpenAI) -> None:
    upload = client.uploads.create(filename="a.jsonl", purpose="fine-tune", bytes=3, mime_type="text/jsonl")
    part = client.uploads.parts.create(upload.id, data=b"abc")
    assert client.uploads.cancel(upload.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        client.uploads.complete(upload.id, part_ids=[part.id])
    with pytest.raises(openai.BadRequestError):
        client.uploads.cancel(upload.id)


def test_size_limits(client: OpenAI, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(openai.BadRequestError) as huge:
        client.uploads.create(filename="a.jsonl", purpose="fine-tune", bytes=8 * 1024**3 + 1, mime_type="x")
    assert huge.value.body["param"] == "bytes"  # type: ignore[index]
    # The 64 MB part limit, scaled down so the test sends kilobytes, not megabytes.
    monkeypatch.setattr(upload_routes, "MAX_PART_BYTES", 1024)
    upload = client.uploads.create(filename="a.jsonl", purpose="fine-tune", bytes=5000, mime_type="x")
    with pytest.raises(openai.BadRequestError) as oversize:
        client.uploads.parts.create(upload.id, data=b"x" * 1025)
    assert oversize.value.body["param"] == "data"  # type: ignore[index]
    declared = httpx2.post(  # refused on its Content-Length, before the body is read
        f"{emulator.base_url}/uploads/{upload.id}/parts",
        headers={"Authorization": "Bearer k", "Content-Type": "multipart/form-data; boundary=b"},
        content=b"x" * 200_000,
    )
    assert declared.status_code == 400
    assert client.uploads.parts.create(upload.id, data=b"x" * 1024).id


def test_unknown_upload_and_bad_requests(client: OpenAI, emulator: RunningEmulator) -> None:
    with pytest.raises(openai.NotFoundError):
        client.uploads.parts.create("upload_missing", data=b"x")
    with pytest.raises(openai.BadRequestError) as no_purpose:
        client.uploads.create(filename="a.jsonl", purpose="nonsense", bytes=1, mime_type="x")  # type: ignore[arg-type]
    assert no_purpose.value.body["param"] == "purpose"  # type: ignore[index]
    missing_data = httpx2.post(
        f"{emulator.base_url}/uploads/upload_x/parts",
        headers={"Authorization": "Bearer k"},
        files={"x": b"1"},
    )
    assert missing_data.status_code == 404
