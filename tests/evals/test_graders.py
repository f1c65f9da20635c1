"""Each expectation a case can give, on answers that meet it and answers that do not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ftops.evals.cases import EvalCase, read_eval_file
from ftops.evals.graders import grade, similarity
from ftops.evals.sampling import Answer

ASK = [{"role": "user", "content": "q"}]


def _case(tmp_path: Path, **expect: Any) -> EvalCase:
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"messages": ASK, **expect}) + "\n", encoding="utf-8")
    read = read_eval_file(path, "c.jsonl")
    assert read.diagnostics == ()
    return read.cases[0]


def _answer(text: str, calls: tuple[tuple[str, str], ...] = ()) -> Answer:
    return Answer(text, "stop", 1, 1, 0.0, calls)


@pytest.mark.parametrize(("expect", "good", "bad", "reason"), [
    ({"contains": ["Ryan", "cat"]}, "Ryan's cat", "Ryan", "does not contain 'cat'"),
    ({"not_contains": "dog"}, "a cat", "a dog", "contains 'dog'"),
    ({"matches": r"^\d{3}$"}, "123", "1234", "does not match"),
    ({"equals": "yes"}, " yes\n", "yes!", "is not 'yes'"),
    ({"json_schema": {"type": "object", "required": ["age"]}}, '{"age": 3}', '{"name": 1}',
     "is JSON, but the answer: 'age' is a required property"),
    ({"json_schema": {"type": "object"}}, "{}", "not json", "is not JSON"),
    ({"number": {"value": 3.5, "tolerance": 0.1}}, "about 3.55 kg", "about 3.7 kg", "says 3.7, not 3.5"),
    ({"number": {"value": 2}}, "2", "two", "has no number"),
    ({"similar": {"reference": "Chunsik is Ryan's cat", "threshold": 0.8}}, "Chunsik is Ryans cat",
     "Apeach is a peach", "similar to the reference"),
])
def test_expectations(tmp_path: Path, expect: dict[str, Any], good: str, bad: str, reason: str) -> None:
    case = _case(tmp_path, **expect)
    assert grade(case, _answer(good)).passed
    failed = grade(case, _answer(bad))
    assert not failed.passed and reason in failed.reason


def test_a_tool_call_with_its_arguments(tmp_path: Path) -> None:
    case = _case(tmp_path, tool_call={"name": "weather", "arguments": {"city": "Seoul"}})
    assert grade(case, _answer("", (("weather", '{"city": "Seoul", "unit": "c"}'),))).passed
    assert "without the arguments" in grade(case, _answer("", (("weather", '{"city": "Busan"}'),))).reason
    assert "does not call weather (calls: none)" in grade(case, _answer("sunny")).reason


def test_similarity_to_the_recorded_answer(tmp_path: Path) -> None:
    case = _case(tmp_path, similar={"recording": True, "threshold": 0.9})
    assert grade(case, _answer("Chunsik is Ryan's cat"), recorded="Chunsik is Ryan's cat").passed
    assert not grade(case, _answer("no idea"), recorded="Chunsik is Ryan's cat").passed
    assert "no recorded answer" in grade(case, _answer("x"), recorded=None).reason


def test_similarity_metrics_are_rapidfuzz_ratios() -> None:
    assert similarity("token_sort_ratio", "cat Ryan", "Ryan cat") == 1.0
    assert similarity("ratio", "abc", "xyz") == 0.0


def test_a_rubric_is_asked_only_once_the_other_expectations_hold(tmp_path: Path) -> None:
    case = _case(tmp_path, contains="Ryan", rubric="Says whose cat Chunsik is.")
    asked: list[str] = []

    def rubric(graded: EvalCase, text: str, baseline: str | None) -> Any:
        from ftops.evals.graders import Grade

        asked.append(text)
        return Grade("cat" in text, "" if "cat" in text else "does not meet the rubric")

    assert grade(case, _answer("Ryan's cat"), rubric=rubric).passed
    assert not grade(case, _answer("Ryan's dog"), rubric=rubric).passed
    assert "does not contain 'Ryan'" in grade(case, _answer("a cat"), rubric=rubric).reason
    assert asked == ["Ryan's cat", "Ryan's dog"]
    assert grade(case, _answer("Ryan's cat")).reason == "has a rubric, and its eval has no grader"


def test_the_recordings_disagreement_with_itself_is_the_noise_floor(tmp_path: Path) -> None:
    case = _case(tmp_path, similar={"recording": True, "threshold": 0.95, "metric": "ratio"})
    steady = ("Chunsik is Ryan's cat.", "Chunsik is Ryan's cat.")
    noisy = ("Chunsik is Ryan's cat.", "Chunsik is the cat of Ryan.")
    paraphrase = _answer("Chunsik is Ryan's pet cat.")
    assert not grade(case, paraphrase, recorded=steady).passed
    assert grade(case, paraphrase, recorded=noisy).passed
    far = grade(case, _answer("No idea."), recorded=noisy)
    assert not far.passed and "the recording's own samples agree to" in far.reason
