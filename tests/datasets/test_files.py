"""Whole-file problems: encoding, BOM, blank lines, too few examples, size limits; all at once, capped."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

import ftops.datasets.check as check_module
from ftops.datasets import check_dataset
from ftops.errors import DatasetError, UsageError

from .conftest import chat_example

Write = Callable[..., Path]


def rendered(path: Path, **kwargs: object) -> list[str]:
    return [
        d.render()
        for d in check_dataset(path, "chat", display_name="f.jsonl", tokens=False, **kwargs).diagnostics
    ]  # type: ignore[arg-type]


def good(n: int) -> list[object]:
    return [chat_example(i) for i in range(n)]


def test_bom_is_an_error_and_the_rest_is_still_checked(write_jsonl: Write) -> None:
    rows = good(50)
    path = write_jsonl("f.jsonl", [b"\xef\xbb\xbf" + json.dumps(rows[0]).encode(), *rows[1:]])
    report = check_dataset(path, "chat", display_name="f.jsonl", tokens=False)
    assert [d.render() for d in report.errors] == [
        "f.jsonl:1: the file starts with a UTF-8 byte order mark (BOM); save it without one"
    ]
    assert report.examples == 50 and not report.ok


def test_bytes_that_are_not_utf8(write_jsonl: Write) -> None:
    path = write_jsonl("f.jsonl", [*good(50)[:3], b'{"messages": "caf\xe9"}', *good(50)[3:]])
    assert rendered(path) == ["f.jsonl:4: not UTF-8: byte 0xe9 at column 18"]


def test_blank_lines_but_not_a_final_newline_or_crlf(write_jsonl: Write) -> None:
    rows = good(50)
    assert rendered(write_jsonl("a.jsonl", rows, end=b"\r\n")) == []
    assert rendered(write_jsonl("b.jsonl", rows, end=b"")) == []
    with_blank = write_jsonl("c.jsonl", [*rows[:10], "", *rows[10:], "   "])
    assert rendered(with_blank) == [
        "f.jsonl:11: blank line (every line must be one JSON example)",
        "f.jsonl:52: blank line (every line must be one JSON example)",
    ]
    trailing = write_jsonl("d.jsonl", rows, end=b"\n\n")
    assert rendered(trailing) == ["f.jsonl:51: blank line (every line must be one JSON example)"]


def test_example_counts(write_jsonl: Write) -> None:
    assert rendered(write_jsonl("a.jsonl", good(9))) == ["f.jsonl: 9 examples: fine-tuning needs at least 10"]
    assert rendered(write_jsonl("b.jsonl", good(10))) == [
        "f.jsonl: warning: only 10 examples: 50-100 well-made examples are usually needed to see an effect"
    ]
    assert rendered(write_jsonl("c.jsonl", good(50))) == []
    empty = write_jsonl("d.jsonl", [])
    assert rendered(empty) == ["f.jsonl: the file is empty"]


def test_many_errors_are_capped_per_kind_with_a_count_of_the_rest(write_jsonl: Write) -> None:
    path = write_jsonl("f.jsonl", good(20) + ["{not json"] * 25 + [""] * 3)
    lines = rendered(path, cap=10)
    assert len([line for line in lines if "not valid JSON" in line]) == 10
    assert "f.jsonl: ... and 15 more errors of this kind (dataset.invalid-json)" in lines
    assert len([line for line in lines if "blank line" in line]) == 3


def test_size_limits(write_jsonl: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_jsonl("f.jsonl", good(50))
    monkeypatch.setattr(check_module, "MAX_PLAIN_UPLOAD_BYTES", 1000)
    notes = rendered(path)
    assert len(notes) == 1 and notes[0].startswith("f.jsonl: warning: ")
    assert notes[0].endswith("over 512 MB, so it must be uploaded in parts through the uploads endpoint")
    assert "the files endpoint accepts at most 512 MB" in rendered(path, plain_upload=True)[0]
    monkeypatch.setattr(check_module, "MAX_FILE_BYTES", 2000)
    assert "training files are limited to 8 GB" in rendered(path)[0]


def test_unreadable_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="cannot read"):
        check_dataset(tmp_path / "missing.jsonl", "chat")
    with pytest.raises(UsageError, match="unknown dataset format"):
        check_dataset(tmp_path / "missing.jsonl", "completion")


def test_over_the_token_limit_says_by_how_much(write_jsonl: Write) -> None:
    long = chat_example(0, "word " * 5000)
    path = write_jsonl("f.jsonl", [*good(12), long])
    report = check_dataset(path, "chat", model="gpt-3.5-turbo-0613", display_name="f.jsonl")
    warnings = [d for d in report.diagnostics if d.code == "dataset.over-token-limit"]
    assert report.stats is not None and report.stats.token_limit == 4096
    total = report.stats.total_tokens.max
    assert [d.render() for d in warnings] == [
        f"f.jsonl:13: warning: {total:,} tokens, over the 4,096-token training limit of gpt-3.5-turbo-0613: "
        f"the last {total - 4096:,} will be truncated"
    ]
    assert report.stats.over_limit == 1
    assert report.stats.billed_tokens == sum_capped(report, 4096, total)


def sum_capped(report: object, limit: int, longest: int) -> int:
    stats = report.stats  # type: ignore[attr-defined]
    return round(stats.total_tokens.mean * stats.examples) - longest + limit


def test_hostile_lines_are_reported_not_raised(write_jsonl: Write) -> None:
    deep_array = "[" * 100_000 + "]" * 100_000
    deep_object = '{"messages": ' + '{"a": ' * 5000 + "1" + "}" * 5001
    # longer than two read chunks (11.7 MB as written: é is the escape \u00e9), though its text,
    # 7.2 million characters, is under the bound on an example's text (ftops.datasets.linebound)
    long_line = json.dumps(chat_example(0, "é words " * 900_000))
    path = write_jsonl("f.jsonl", [*good(10), deep_array, deep_object, long_line])
    report = check_dataset(path, "chat", display_name="f.jsonl")
    by_line = {d.line: d for d in report.errors}
    assert set(by_line) == {11, 12}
    assert by_line[11].message.startswith("not valid JSON") and by_line[12].message.startswith(
        "not valid JSON"
    )
    assert report.examples == 11 and report.stats is not None and report.stats.examples == 11
