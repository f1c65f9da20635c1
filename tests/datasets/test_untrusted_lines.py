"""Lines an outsider can put in a pull request: one enormous line, a lone surrogate escape,
control characters. Each is refused at its line number, and the work per line is bounded."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ftops.datasets import DatasetReport, check_dataset, engine
from ftops.datasets.linebound import MAX_LINE_BYTES

from .conftest import chat_example

WriteJsonl = Callable[..., Path]


def rendered(path: Path, **options: object) -> list[str]:
    report = check_dataset(path, "chat", tokens=False, display_name="d.jsonl", **options)  # type: ignore[arg-type]
    return [d.render() for d in report.diagnostics if "at least 10" not in d.message]


def errors_by_code(path: Path) -> dict[str, list[int | None]]:
    report = check_dataset(path, "chat", tokens=False)
    out: dict[str, list[int | None]] = {}
    for d in report.errors:
        if d.code == "dataset.too-few-examples":
            continue
        out.setdefault(d.code, []).append(d.line)
    return out


# --- JSON errors read as sentences --------------------------------------------------------------


def test_a_control_character_is_reported_without_a_doubled_at(write_jsonl: WriteJsonl) -> None:
    path = write_jsonl("d.jsonl", [b'{"messages": "a\x01b"}'])
    assert rendered(path) == ["d.jsonl:1: not valid JSON: Invalid control character at column 16"]


def test_other_json_errors_keep_their_column(write_jsonl: WriteJsonl) -> None:
    path = write_jsonl("d.jsonl", ['{"messages": [1,]}'])
    assert rendered(path) == ["d.jsonl:1: not valid JSON: Expecting value at column 17"]


# --- lone surrogates ----------------------------------------------------------------------------


def test_a_lone_surrogate_escape_is_refused_with_its_line_and_path(write_jsonl: WriteJsonl) -> None:
    good = json.dumps(chat_example(0))
    bad = '{"messages": [{"role": "user", "content": "\\ud800"}, {"role": "assistant", "content": "x"}]}'
    path = write_jsonl("d.jsonl", [good, bad, good.replace("(0)", "(1)")])
    assert rendered(path) == [
        "d.jsonl:2: messages[0].content: the string holds a lone surrogate escape (\\ud800): half of a "
        "UTF-16 pair is not text, and the service cannot read it; remove it or write the whole character"
    ]


def test_a_lone_surrogate_in_a_key_is_shown_escaped(write_jsonl: WriteJsonl) -> None:
    path = write_jsonl("d.jsonl", ['{"messages": [], "k\\udc00": 1}'])
    lines = rendered(path)
    assert lines[0].startswith("d.jsonl:1: k\\udc00: the string holds a lone surrogate escape (\\udc00)")


def test_a_whole_surrogate_pair_is_one_character_and_accepted(write_jsonl: WriteJsonl) -> None:
    line = ('{"messages": [{"role": "user", "content": "\\ud83d\\ude00"}, '
            '{"role": "assistant", "content": "x"}]}')
    path = write_jsonl("d.jsonl", [line])
    assert "dataset.lone-surrogate" not in errors_by_code(path)


@settings(max_examples=60, deadline=None)
@given(
    before=st.text(st.characters(blacklist_categories=["Cs"]), max_size=20),
    after=st.text(st.characters(blacklist_categories=["Cs"]), max_size=20),
    surrogate=st.integers(0xD800, 0xDFFF),
    in_reply=st.booleans(),
)
def test_any_lone_surrogate_anywhere_in_a_text_is_refused(
    tmp_path_factory: pytest.TempPathFactory, before: str, after: str, surrogate: int, in_reply: bool
) -> None:
    # json.dumps writes an astral character as a whole pair (high then low), so the escape
    # put between the two never completes a pair: it stays alone
    text = json.dumps(before)[:-1] + f"\\u{surrogate:04x}" + json.dumps(after)[1:]
    user, reply = ('"hi"', text) if in_reply else (text, '"x"')
    line = (f'{{"messages": [{{"role": "user", "content": {user}}}, '
            f'{{"role": "assistant", "content": {reply}}}]}}')
    path = tmp_path_factory.mktemp("s") / "d.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    assert errors_by_code(path).get("dataset.lone-surrogate") == [1]


# --- one enormous line --------------------------------------------------------------------------


def test_the_bound_is_above_the_largest_example_the_service_takes() -> None:
    ten_images_as_base64 = 10 * (10 * 1024 * 1024) * 4 // 3
    assert ten_images_as_base64 + 65_536 * 16 < MAX_LINE_BYTES
    assert MAX_LINE_BYTES < 200_000_000  # the 200 MB line of issue 17 is refused


def _file_with_a_long_line(path: Path, line_bytes: int, *, final_newline: bool = True) -> Path:
    """Two good lines, one JSON line of ``line_bytes`` bytes, and (when given room) two good lines."""
    filler = line_bytes - len('{"messages": [{"role": "user", "content": ""}]}')
    long_line = '{"messages": [{"role": "user", "content": "' + "x" * filler + '"}]}'
    assert len(long_line) == line_bytes
    good = [json.dumps(chat_example(i)) for i in range(4)]
    text = "\n".join([good[0], good[1], long_line, good[2], good[3]]) + ("\n" if final_newline else "")
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def small_bound(monkeypatch: pytest.MonkeyPatch) -> int:
    """A 256 KiB bound read in 16 KiB chunks: the same code as 148 MB in 4 MiB chunks, in a fast test."""
    monkeypatch.setattr(engine, "CHUNK_BYTES", 16 * 1024)
    monkeypatch.setattr(engine, "MAX_LINE_BYTES", 256 * 1024)
    return 256 * 1024


def line_errors(report: DatasetReport) -> list[tuple[int | None, str]]:
    return [(d.line, d.code) for d in report.errors if d.code != "dataset.too-few-examples"]


def test_a_line_over_the_bound_is_refused_at_its_line_and_the_rest_is_checked(
    tmp_path: Path, small_bound: int
) -> None:
    path = _file_with_a_long_line(tmp_path / "d.jsonl", small_bound + 1)
    report = check_dataset(path, "chat", tokens=False)
    assert line_errors(report) == [(3, "dataset.line-too-long")]
    assert report.errors[-1].message.startswith(f"the line is {small_bound + 1:,} bytes long, more than any")
    assert report.examples == 4  # the lines around it were read


def test_a_line_at_the_bound_is_read(tmp_path: Path, small_bound: int) -> None:
    path = _file_with_a_long_line(tmp_path / "d.jsonl", small_bound)
    report = check_dataset(path, "chat", tokens=False)
    assert "dataset.line-too-long" not in {d.code for d in report.errors}
    assert report.examples == 5


def test_a_long_last_line_without_a_newline_is_refused(tmp_path: Path, small_bound: int) -> None:
    good = json.dumps(chat_example(0))
    path = tmp_path / "d.jsonl"
    path.write_text(good + "\n" + "y" * (3 * small_bound), encoding="utf-8")
    report = check_dataset(path, "chat", tokens=False)
    assert line_errors(report) == [(2, "dataset.line-too-long")]


def test_two_long_lines_hash_apart(tmp_path: Path, small_bound: int) -> None:
    a = _file_with_a_long_line(tmp_path / "a.jsonl", small_bound * 2)
    b = tmp_path / "b.jsonl"
    b.write_bytes(a.read_bytes().replace(b"xxxx\"}]}", b"xxxy\"}]}"))
    hashes = {check_dataset(p, "chat", tokens=False).content_hash for p in (a, b)}
    assert len(hashes) == 2


def test_memory_stays_flat_however_long_the_line(tmp_path: Path, small_bound: int) -> None:
    """The refused line is never held: a line 40 times the bound costs what a line just over it does."""
    just_over = _file_with_a_long_line(tmp_path / "a.jsonl", small_bound + 1)
    huge = _file_with_a_long_line(tmp_path / "b.jsonl", 40 * small_bound)
    check_dataset(just_over, "chat", tokens=False)  # imports and caches outside the measurement

    def peak(path: Path) -> int:
        tracemalloc.start()
        try:
            check_dataset(path, "chat", tokens=False)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small_peak, huge_peak = peak(just_over), peak(huge)
    assert huge_peak < 3 * small_bound, (small_peak, huge_peak)
    assert huge_peak < small_peak + small_bound, (small_peak, huge_peak)


@settings(max_examples=40, deadline=None)
@given(
    lines=st.lists(st.sampled_from([
        json.dumps(chat_example(1)),
        json.dumps(chat_example(2, "a" * 300)),
        '{"messages": [1,]}',
        "",
        "x" * 700,
    ]), min_size=1, max_size=12),
    chunk=st.integers(1, 64),
    final_newline=st.booleans(),
)
def test_chunk_boundaries_change_nothing_below_the_bound(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str], chunk: int, final_newline: bool
) -> None:
    """The pass reads the same lines whatever the chunk size: a regression net for the line splitter."""
    path = tmp_path_factory.mktemp("c") / "d.jsonl"
    path.write_text("\n".join(lines) + ("\n" if final_newline else ""), encoding="utf-8")
    reference = check_dataset(path, "chat", tokens=False)
    original = engine.CHUNK_BYTES
    engine.CHUNK_BYTES = chunk
    try:
        small = check_dataset(path, "chat", tokens=False)
    finally:
        engine.CHUNK_BYTES = original
    assert small.diagnostics == reference.diagnostics
    assert (small.content_hash, small.raw_sha256, small.examples) == (
        reference.content_hash, reference.raw_sha256, reference.examples)


def test_text_beyond_any_context_is_refused_before_token_counting(
    write_jsonl: WriteJsonl, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "MAX_TEXT_CHARS", 1000)
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 5000}}
    rows = [
        {"messages": [{"role": "user", "content": "q" * 600}, {"role": "assistant", "content": "a" * 500}]},
        {"messages": [{"role": "user", "content": "q" * 400}, {"role": "assistant", "content": "a" * 500}]},
        {"messages": [{"role": "user", "content": [{"type": "text", "text": "What is it?"}, image]},
                      {"role": "assistant", "content": "A cat."}]},
    ]
    report = check_dataset(write_jsonl("d.jsonl", rows), "chat", model="gpt-4o-mini")
    assert line_errors(report) == [(1, "dataset.text-too-long")]
    assert report.errors[-1].message == (
        "the example holds 1,100 characters of text, far more than any model's context "
        "(at most 1,000: the service cuts a training example at its token limit)")
