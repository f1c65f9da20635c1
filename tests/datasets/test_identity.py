"""Content hash: a property of the examples, not of their formatting. Raw hash: of the bytes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ftops.datasets import check_dataset, engine, fingerprint
from ftops.datasets.canonical import canonical_bytes, canonical_json

from .conftest import chat_example

Write = Callable[..., Path]


def rows(n: int = 12) -> list[dict[str, object]]:
    return [chat_example(i) for i in range(n)]


def reorder(value: object) -> object:
    """The same JSON value with every object's keys in reverse order."""
    if isinstance(value, dict):
        return {key: reorder(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reorder(item) for item in value]
    return value


def test_reindented_and_reordered_file_has_the_same_content_hash(write_jsonl: Write) -> None:
    plain = write_jsonl("plain.jsonl", rows())
    spaced = write_jsonl(
        "spaced.jsonl",
        [json.dumps(reorder(r), indent=None, separators=(" ,  ", " :  ")) for r in rows()],
        end=b"\r\n",
    )
    escaped = write_jsonl("escaped.jsonl", [json.dumps(r, ensure_ascii=True) for r in rows()])
    a, b, c = (check_dataset(p, "chat", tokens=False) for p in (plain, spaced, escaped))
    assert a.content_hash == b.content_hash == c.content_hash
    assert len({a.raw_sha256, b.raw_sha256}) == 2
    assert a.example_hashes == b.example_hashes


def test_a_changed_value_changes_the_content_hash(write_jsonl: Write) -> None:
    base = check_dataset(write_jsonl("a.jsonl", rows()), "chat", tokens=False)
    changed_rows = rows()
    changed_rows[5]["messages"][2]["content"] += "!"  # type: ignore[index]
    changed = check_dataset(write_jsonl("b.jsonl", changed_rows), "chat", tokens=False)
    swapped = check_dataset(write_jsonl("c.jsonl", list(reversed(rows()))), "chat", tokens=False)
    assert len({base.content_hash, changed.content_hash, swapped.content_hash}) == 3


def test_hashes_are_sha256_of_the_canonical_lines_and_of_the_bytes(write_jsonl: Write) -> None:
    path = write_jsonl("a.jsonl", rows())
    report = check_dataset(path, "chat", tokens=False)
    canonical = b"".join(canonical_bytes(json.loads(line)) + b"\n" for line in path.read_text().splitlines())
    assert report.content_hash == "sha256:" + hashlib.sha256(canonical).hexdigest()
    assert report.raw_sha256 == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    assert canonical_json({"b": 1, "a": [1.5, "é", None, True]}) == '{"a":[1.5,"é",null,true],"b":1}'
    # values orjson cannot write keep their exact value, in the standard library's ASCII form, marked
    exact = b'~{"n":1180591620717411303424,"s":"\\ud800\\u00e9"}'
    assert canonical_bytes({"n": 2**70, "s": "\ud800é"}) == exact


def test_fingerprint_agrees_with_the_full_check(write_jsonl: Write) -> None:
    path = write_jsonl("a.jsonl", rows(30))
    report = check_dataset(path, "chat", model="gpt-4.1-mini")
    assert fingerprint(path) == report.fingerprint
    assert report.fingerprint.examples == 30 and report.size_bytes == path.stat().st_size


def test_results_do_not_depend_on_chunk_or_batch_sizes(
    write_jsonl: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_jsonl("a.jsonl", [chat_example(i, "answer " * (i % 17 + 1)) for i in range(300)])
    reference = check_dataset(path, "chat", model="gpt-4o", workers=1)
    monkeypatch.setattr(engine, "CHUNK_BYTES", 97)  # lines straddle chunks
    monkeypatch.setattr(engine, "BATCH_EXAMPLES", 7)  # many batches in flight, out of order in threads
    monkeypatch.setattr(engine, "THREADS_FROM_BYTES", 0)  # the large-file path: SHA-256 on its own thread
    small = check_dataset(path, "chat", model="gpt-4o", workers=2)
    assert small.content_hash == reference.content_hash and small.raw_sha256 == reference.raw_sha256
    assert small.stats == reference.stats and small.diagnostics == reference.diagnostics


def test_duplicates_are_found_whatever_their_formatting(write_jsonl: Write) -> None:
    lines = [*rows(12), reorder(chat_example(3))]
    report = check_dataset(write_jsonl("a.jsonl", lines), "chat", tokens=False)
    duplicates = [d for d in report.diagnostics if d.code == "dataset.duplicate"]
    assert [(d.line, d.message) for d in duplicates] == [(13, "exact duplicate of line 4")]
    assert len(report.example_hashes) == 12
