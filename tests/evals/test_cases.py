"""Eval files: every problem with its line; hashes that follow what is asked and what is expected."""

from __future__ import annotations

import json
from pathlib import Path

from ftops.evals.cases import read_eval_file


def _write(tmp_path: Path, *cases: object) -> Path:
    path = tmp_path / "cases.jsonl"
    text = "".join((c if isinstance(c, str) else json.dumps(c)) + "\n" for c in cases)
    path.write_text(text, encoding="utf-8")
    return path


ASK = [{"role": "user", "content": "Who is Chunsik?"}]


def test_a_good_file_gives_its_cases_in_order(tmp_path: Path) -> None:
    path = _write(tmp_path, {"id": "who", "messages": ASK, "contains": "Ryan"},
                  {"messages": ASK, "number": {"value": 3, "tolerance": 0.5}}, "")
    read = read_eval_file(path, "cases.jsonl")
    assert read.diagnostics == ()
    assert [(c.line, c.case_id) for c in read.cases] == [(1, "who"), (2, "line 2")]
    assert read.cases[0].expect.contains == ("Ryan",)
    assert read.cases[0].input_hash == read.cases[1].input_hash  # the same question
    assert read.cases[0].grader_hash != read.cases[1].grader_hash


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {"messages": ASK, "contains": "Ryan"},
        "{not json",
        {"messages": ASK},
        {"messages": [{"role": "robot", "content": "x"}], "contains": "a"},
        {"messages": ASK, "matches": "(unclosed"},
        {"messages": ASK, "similar": {"threshold": 2, "reference": "x"}},
        {"messages": ASK, "contains": "a", "expected": "b"},
        {"messages": [*ASK, {"role": "assistant", "content": "Ryan's cat"}], "contains": "a"},
        {"messages": ASK, "json_schema": {"type": "nonsense"}},
    )
    read = read_eval_file(path, "evals/cases.jsonl")
    rendered = [d.render() for d in read.diagnostics]
    assert [d.line for d in read.diagnostics] == [2, 3, 4, 5, 6, 7, 8, 9]
    assert rendered[0].startswith("evals/cases.jsonl:2: not valid JSON")
    assert "needs at least one expectation" in rendered[1]
    assert "messages[0]: must be an object whose role" in rendered[2]
    assert "matches: not a valid regular expression" in rendered[3]
    assert "similar: must be" in rendered[4]
    assert "unknown key 'expected'" in rendered[5]
    assert "the last message is the model's to write" in rendered[6]
    assert "json_schema: not a valid JSON Schema" in rendered[7]
    assert len(read.cases) == 1


def test_duplicate_ids_and_an_empty_file(tmp_path: Path) -> None:
    path = _write(tmp_path, {"id": "a", "messages": ASK, "contains": "x"},
                  {"id": "a", "messages": ASK, "contains": "y"})
    assert [d.render() for d in read_eval_file(path, "e.jsonl").diagnostics] == [
        "e.jsonl:2: id: case id 'a' is already used on line 1"]
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    assert [d.code for d in read_eval_file(empty, "empty.jsonl").diagnostics] == ["eval.empty"]


def test_the_file_hash_follows_cases_not_spelling(tmp_path: Path) -> None:
    first = _write(tmp_path, {"messages": ASK, "contains": "Ryan"})
    one = read_eval_file(first, "e").file_hash
    first.write_text('{"contains":"Ryan",  "messages":[{"content":"Who is Chunsik?","role":"user"}]}\n')
    assert read_eval_file(first, "e").file_hash == one
    first.write_text(json.dumps({"messages": ASK, "contains": "Apeach"}) + "\n")
    assert read_eval_file(first, "e").file_hash != one
