"""Files through the together SDK: its three-request upload, the 409 for a file already there,
list, retrieve, content, delete; and the spec's one-request upload over plain HTTP."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest
from together import NotFoundError, Together

from ftops.emulator import RunningEmulator

from .conftest import ResponseChecker


def _calls(emulator: RunningEmulator) -> list[tuple[str, str, int]]:
    return [(r.method, r.path, r.status) for r in emulator.requests()]


def test_sdk_upload_is_register_put_preprocess(
    client: Together, emulator: RunningEmulator, training_file: Path, checker: ResponseChecker
) -> None:
    uploaded = client.files.upload(file=training_file, purpose="fine-tune")

    assert uploaded.id.startswith("file-")
    assert uploaded.bytes == training_file.stat().st_size
    assert (uploaded.filename, uploaded.purpose, uploaded.file_type) == (
        "capitals.jsonl",
        "fine-tune",
        "jsonl",
    )
    assert uploaded.processing_status == "COMPLETED"
    assert isinstance(uploaded.created_at, int)
    assert _calls(emulator) == [
        ("POST", "/together/v1/files", 302),
        ("PUT", f"/together/storage/{uploaded.id}", 200),
        ("POST", f"/together/v1/files/{uploaded.id}/preprocess", 200),
    ]
    assert client.files.content(uploaded.id).read() == training_file.read_bytes()
    assert "FileResponse" in checker.checked


def test_the_same_bytes_again_is_answered_409_and_the_sdk_returns_the_first_file(
    client: Together, emulator: RunningEmulator, training_file: Path, tmp_path: Path
) -> None:
    first = client.files.upload(file=training_file, purpose="fine-tune")
    emulator.clear_requests()

    again = client.files.upload(file=training_file, purpose="fine-tune")

    assert again.id == first.id
    assert _calls(emulator) == [
        ("POST", "/together/v1/files", 409),
        ("GET", f"/together/v1/files/{first.id}", 200),
    ]
    other = tmp_path / "other.jsonl"
    other.write_bytes(training_file.read_bytes() + b'{"text": "one more line"}\n')
    assert client.files.upload(file=other, purpose="fine-tune", check=False).id != first.id


def test_list_retrieve_delete(client: Together, training_file: Path, tmp_path: Path) -> None:
    first = client.files.upload(file=training_file, purpose="fine-tune")
    second_path = tmp_path / "second.jsonl"
    second_path.write_text('{"text": "Ulaanbaatar is the capital of Mongolia."}\n')
    second = client.files.upload(file=second_path, purpose="fine-tune")

    assert [f.id for f in client.files.list().data] == [second.id, first.id]
    assert client.files.retrieve(first.id).filename == "capitals.jsonl"
    deleted = client.files.delete(first.id)
    assert (deleted.id, deleted.deleted) == (first.id, True)
    assert [f.id for f in client.files.list().data] == [second.id]
    with pytest.raises(NotFoundError):
        client.files.retrieve(first.id)
    with pytest.raises(NotFoundError):
        client.files.delete(first.id)


def test_the_specs_one_request_upload(
    http: httpx.Client, training_file: Path, checker: ResponseChecker
) -> None:
    data = training_file.read_bytes()
    answer = http.post(
        "/files/upload",
        headers={"Authorization": "Bearer k"},
        data={"purpose": "fine-tune", "file_name": "capitals.jsonl", "file_type": "jsonl"},
        files={"file": ("capitals.jsonl", data)},
    )

    assert answer.status_code == 200
    body = answer.json()
    assert (body["FileType"], body["Processed"], body["bytes"]) == ("jsonl", True, len(data))
    # Uploaded by the spec's form, the same bytes are then known to the SDK's flow by their checksum.
    again = http.post(
        "/files",
        headers={"Authorization": "Bearer k"},
        data={
            "purpose": "fine-tune",
            "file_name": "x.jsonl",
            "file_type": "jsonl",
            "checksum": hashlib.sha256(data).hexdigest(),
        },
        files={},
    )
    assert (again.status_code, again.json()) == (
        409,
        {"file_id": body["id"], "message": "File already exists."},
    )
    assert checker.checked == ["FileResponse"]


def test_the_upload_url_is_the_only_credential_for_the_put(http: httpx.Client) -> None:
    begun = http.post(
        "/files",
        headers={"Authorization": "Bearer k"},
        data={"purpose": "fine-tune", "file_name": "a.jsonl", "file_type": "jsonl"},
        files={},
    )
    assert begun.status_code == 302
    location, file_id = begun.headers["Location"], begun.headers["X-Together-File-Id"]
    assert location.startswith("http://127.0.0.1:")
    # Not there before the bytes are: preprocess refuses, retrieve does not know it.
    assert http.post(f"/files/{file_id}/preprocess", headers={"Authorization": "Bearer k"}).status_code == 400
    assert http.get(f"/files/{file_id}", headers={"Authorization": "Bearer k"}).status_code == 404
    forged = httpx.URL(location).copy_set_param("token", "guess")
    assert httpx.put(forged, content=b'{"text": "x"}\n').status_code == 403
    assert httpx.put(location, content=b'{"text": "x"}\n').status_code == 200
    assert httpx.put(location, content=b'{"text": "y"}\n').status_code == 403  # used once
    ready = http.post(f"/files/{file_id}/preprocess", headers={"Authorization": "Bearer k"})
    assert (ready.status_code, ready.json()["bytes"]) == (200, len(b'{"text": "x"}\n'))
