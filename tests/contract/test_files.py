"""Files: upload, list (pagination, filters, order), retrieve, content, delete."""

from __future__ import annotations

import time
from pathlib import Path

import openai
import pytest
from openai import OpenAI

from ftops.emulator import RunningEmulator

from .data import CHUNSIK, write_jsonl


def test_upload_retrieve_content_and_delete(client: OpenAI, training_file: Path) -> None:
    created = client.files.create(file=training_file, purpose="fine-tune")
    assert created.id.startswith("file-")
    assert created.filename == "chunsik.jsonl"
    assert created.bytes == training_file.stat().st_size
    assert created.purpose == "fine-tune"
    assert created.status in ("uploaded", "processed")

    time.sleep(0.01)  # 2 simulated seconds at the test speed
    fetched = client.files.retrieve(created.id)
    assert fetched.status == "processed"
    assert client.files.content(created.id).content == training_file.read_bytes()

    deleted = client.files.delete(created.id)
    assert deleted.deleted is True and deleted.id == created.id
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(created.id)
    with pytest.raises(openai.NotFoundError):
        client.files.content(created.id)
    assert created.id not in [f.id for f in client.files.list()]


def test_other_purposes_and_purpose_filter(client: OpenAI, tmp_path: Path) -> None:
    batch = client.files.create(file=("requests.jsonl", b'{"custom_id": "1"}\n'), purpose="batch")
    data = client.files.create(file=("notes.txt", b"hello"), purpose="user_data")
    tune = client.files.create(file=write_jsonl(tmp_path / "t.jsonl", CHUNSIK), purpose="fine-tune")
    assert [f.id for f in client.files.list(purpose="batch")] == [batch.id]
    assert {f.id for f in client.files.list()} == {batch.id, data.id, tune.id}


def test_refuses_bad_purpose_and_wrong_format(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as bad_purpose:
        client.files.create(file=("a.jsonl", b"{}\n"), purpose="training")  # type: ignore[arg-type]
    assert bad_purpose.value.body["param"] == "purpose"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as not_jsonl:
        client.files.create(file=("a.csv", b"x"), purpose="fine-tune")
    assert "jsonl" in not_jsonl.value.message


def test_auto_paging_walks_every_page_in_order(client: OpenAI) -> None:
    ids = [client.files.create(file=(f"f{i}.txt", b"x"), purpose="user_data").id for i in range(7)]
    first = client.files.list(limit=3)
    assert len(first.data) == 3 and first.has_more is True
    assert [f.id for f in first.data] == ids[::-1][:3]  # newest first by default
    walked = [f.id for f in client.files.list(limit=3)]  # the SDK follows `after` page by page
    assert walked == ids[::-1]
    ascending = [f.id for f in client.files.list(limit=2, order="asc")]
    assert ascending == ids
    last_page = client.files.list(limit=3, after=ids[1])
    assert [f.id for f in last_page.data] == [ids[0]] and last_page.has_more is False


def test_cursor_survives_deleting_its_file(client: OpenAI) -> None:
    ids = [client.files.create(file=(f"f{i}.txt", b"x"), purpose="user_data").id for i in range(4)]
    client.files.delete(ids[2])
    assert [f.id for f in client.files.list(after=ids[2]).data] == [ids[1], ids[0]]


def test_list_limit_bounds(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as too_many:
        client.files.list(limit=10_001)
    assert too_many.value.body["param"] == "limit"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError):
        client.files.list(order="sideways")  # type: ignore[arg-type]


def test_ten_thousand_files_list_in_one_request(emulator: RunningEmulator, client: OpenAI) -> None:
    seed_files(emulator, 10_000)
    emulator.clear_requests()
    page = client.files.list(limit=10_000)
    assert len(page.data) == 10_000 and page.has_more is False
    assert len({f.id for f in page.data}) == 10_000
    assert [(r.method, r.path) for r in emulator.requests()] == [("GET", "/v1/files")]


def seed_files(emulator: RunningEmulator, count: int) -> None:
    """Many files straight into the store: the listing is under test, not 10,000 uploads."""
    now = time.time()
    with emulator.store.transaction() as conn:
        conn.executemany(
            "INSERT INTO files (id, filename, purpose, bytes, created_at) VALUES (?, ?, 'fine-tune', 100, ?)",
            [(f"file-seed{i:08d}", f"seed{i}.jsonl", now) for i in range(count)],
        )
