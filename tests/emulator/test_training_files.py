"""Training-file checks as the service makes them when a job starts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ftops.emulator.training import FileProblem, TrainingSummary, check_training_file, conversations


def _example(i: int) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]}


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_counts_examples_and_tokens(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.jsonl", [json.dumps(_example(i)) for i in range(10)])
    summary = check_training_file(path, "supervised", "o200k_base")
    assert isinstance(summary, TrainingSummary)
    assert summary.examples == 10 and 10 * 10 < summary.tokens < 10 * 30


def test_reports_the_first_bad_line(tmp_path: Path) -> None:
    lines = [json.dumps(_example(i)) for i in range(12)]
    for bad, words in [
        ("[1, 2]", "not a JSON object"),
        ('{"messages": []}', "non-empty"),
        ('{"messages": [{"role": "wizard", "content": "x"}]}', "invalid role"),
        ('{"messages": [{"role": "user", "content": "x"}]}', "assistant"),
        ("", "empty"),
    ]:
        problem = check_training_file(
            _write(tmp_path / "t.jsonl", [*lines[:3], bad, *lines[3:]]), "supervised", "o200k_base"
        )
        assert isinstance(problem, FileProblem) and problem.code == "invalid_training_file"
        assert problem.message.startswith("Line 4") and words in problem.message


def test_formats_per_method(tmp_path: Path) -> None:
    pair = {
        "input": {"messages": [{"role": "user", "content": "q"}]},
        "preferred_output": [{"role": "assistant", "content": "good"}],
        "non_preferred_output": [{"role": "assistant", "content": "bad"}],
    }
    dpo = _write(tmp_path / "dpo.jsonl", [json.dumps(pair)] * 10)
    assert isinstance(check_training_file(dpo, "dpo", "o200k_base"), TrainingSummary)
    assert isinstance(check_training_file(dpo, "supervised", "o200k_base"), FileProblem)
    prompts = _write(
        tmp_path / "rft.jsonl", [json.dumps({"messages": [{"role": "user", "content": "q"}]})] * 10
    )
    assert isinstance(check_training_file(prompts, "reinforcement", "o200k_base"), TrainingSummary)
    legacy = _write(tmp_path / "l.jsonl", [json.dumps({"prompt": "p", "completion": "c"})] * 10)
    assert isinstance(
        check_training_file(legacy, "supervised", "cl100k_base", legacy_completion=True), TrainingSummary
    )
    assert next(iter(conversations(dpo))) == ("q", "good")


def test_too_few_examples(tmp_path: Path) -> None:
    problem = check_training_file(
        _write(tmp_path / "t.jsonl", [json.dumps(_example(1))] * 9), "supervised", "o200k_base"
    )
    assert isinstance(problem, FileProblem) and problem.code == "invalid_n_examples"


@settings(max_examples=80)
@given(st.lists(st.binary(max_size=80), max_size=14))
def test_any_bytes_are_judged_without_crashing(tmp_path_factory: Any, lines: list[bytes]) -> None:
    path = tmp_path_factory.mktemp("h") / "t.jsonl"
    path.write_bytes(b"\n".join(lines))
    for method in ("supervised", "dpo", "reinforcement"):
        assert isinstance(check_training_file(path, method, "o200k_base"), FileProblem | TrainingSummary)
    list(conversations(path))


def test_a_lone_surrogate_fails_the_file_check_and_is_no_chat_reply(tmp_path: Path) -> None:
    bad = '{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "\\udc00"}]}'
    path = _write(tmp_path / "t.jsonl", [json.dumps(_example(i)) for i in range(10)] + [bad])
    assert check_training_file(path, "supervised", "o200k_base") == FileProblem(
        "invalid_training_file",
        "Line 11 holds a lone surrogate escape (half of a UTF-16 pair), which is not text.")
    assert len(list(conversations(path))) == 10
