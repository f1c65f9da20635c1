"""Pairwise rubrics: both orders asked, a case passing only when both find the answer no worse."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import pytest

from ftops.evals.cases import EvalCase, read_eval_file
from ftops.evals.collect import Work
from ftops.evals.pairwise import ORDERS, Preference, combine, preference
from ftops.evals.rubric import GRADE_PARAMS, RubricJudge, grading_estimate
from ftops.evals.sampling import SamplingParams
from ftops.provider import Provider
from ftops.provider.types import ChatReply
from ftops.resources import RubricGrader

B, T, W, U = Preference.BETTER, Preference.TIE, Preference.WORSE, Preference.UNCLEAR
GRADER = RubricGrader("gpt-4.1-2025-04-14", "Say PASS or FAIL.", "Say A, B or TIE.")
CRITERIA = "Says whose cat Chunsik is."


def _case(tmp_path: Path, rubric: Any) -> EvalCase:
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"messages": [{"role": "user", "content": "Whose cat is Chunsik?"}],
                                "rubric": rubric}) + "\n", encoding="utf-8")
    read = read_eval_file(path, "c.jsonl")
    assert read.diagnostics == ()
    return read.cases[0]


@pytest.mark.parametrize(("first", "second", "passed", "reason"), [
    (B, B, True, ""),
    (T, T, True, ""),
    (B, T, True, ""),
    (T, B, True, ""),
    (W, W, False, "worse than the baseline's answer in both orders"),
    (B, W, False, "judged better shown as A and worse shown as B"),
    (W, B, False, "judged better shown as B and worse shown as A"),
    (T, W, False, "worse than the baseline's answer when shown as B, as good in the other order"),
    (W, T, False, "worse than the baseline's answer when shown as A"),
    (U, B, False, "answered neither A, B nor TIE"),
])
def test_both_orders_must_find_the_answer_no_worse(first: Preference, second: Preference, passed: bool,
                                                   reason: str) -> None:
    grade = combine(first, second, "grader-x")
    assert grade.passed is passed
    assert reason in grade.reason
    if first is B and second is W:
        assert "position bias" in grade.reason


def test_a_reply_is_read_against_the_position_of_the_graded_answer() -> None:
    graded_first, graded_second = ORDERS
    assert preference(graded_first, "A") is B and preference(graded_second, "A") is W
    assert preference(graded_first, " b.") is W and preference(graded_second, "B: it names Ryan") is B
    assert preference(graded_first, "Tie") is T and preference(graded_second, "TIE") is T
    assert preference(graded_first, "") is U and preference(graded_first, "Both are fine") is U


class _Grader:
    """A provider whose grader model replies from a fixed function of the prompt; records each prompt."""

    def __init__(self, reply: Any) -> None:
        self.reply = reply
        self.prompts: list[list[dict[str, str]]] = []

    def complete(self, model: str, messages: Sequence[Mapping[str, Any]], *,
                 tools: Any = None, options: Mapping[str, Any] | None = None) -> ChatReply:
        assert options == GRADE_PARAMS.to_json()
        self.prompts.append([dict(m) for m in messages])
        return ChatReply(self.reply(str(messages[-1]["content"])), "stop", 50, 1)


def _judge(tmp_path: Path, reply: Any) -> tuple[RubricJudge, _Grader]:
    grader = _Grader(reply)
    return RubricJudge(GRADER, cast(Provider, grader), tmp_path, "openai"), grader


def _preferring(text: str) -> Any:
    """A fair grader: it prefers the answer that contains ``text``, whichever position it is in."""
    def reply(prompt: str) -> str:
        first = prompt.split("Answer A:\n", 1)[1].split("\n\nAnswer B:\n", 1)[0]
        second = prompt.split("\n\nAnswer B:\n", 1)[1]
        if (text in first) == (text in second):
            return "TIE"
        return "A" if text in first else "B"
    return reply


def test_the_grader_is_asked_in_both_orders_with_the_same_prompt_otherwise(tmp_path: Path) -> None:
    case = _case(tmp_path, {"criteria": CRITERIA, "pairwise": True})
    judge, grader = _judge(tmp_path, _preferring("Ryan"))
    assert judge(case, "Ryan's cat.", "I would rather not say.").passed
    first, second = grader.prompts
    assert first[0] == second[0] == {"role": "system", "content": "Say A, B or TIE."}
    assert "Answer A:\nRyan's cat.\n\nAnswer B:\nI would rather not say." in first[1]["content"]
    assert "Answer A:\nI would rather not say.\n\nAnswer B:\nRyan's cat." in second[1]["content"]
    swapped = second[1]["content"].replace("I would rather not say.", "\0").replace("Ryan's cat.",
                                                                                    "I would rather not say.")
    assert swapped.replace("\0", "Ryan's cat.") == first[1]["content"]
    assert f"Criteria:\n{CRITERIA}" in first[1]["content"]

    worse = judge(case, "I would rather not say.", "Ryan's cat.")
    assert not worse.passed and "in both orders" in worse.reason
    assert judge.asked == 4


def test_a_grader_biased_to_a_position_fails_the_case(tmp_path: Path) -> None:
    case = _case(tmp_path, {"criteria": CRITERIA, "pairwise": True})
    judge, _ = _judge(tmp_path, lambda prompt: "A")
    grade = judge(case, "Ryan's cat.", "Chunsik belongs to Ryan.")
    assert not grade.passed and "position bias" in grade.reason


def test_both_grades_are_cached_by_order_and_identical_answers_ask_nothing(tmp_path: Path) -> None:
    case = _case(tmp_path, {"criteria": CRITERIA, "pairwise": True})
    judge, grader = _judge(tmp_path, _preferring("Ryan"))
    assert judge(case, "Ryan's cat.", "Ryan's cat!").passed
    assert judge.asked == 2
    again, regrader = _judge(tmp_path, lambda prompt: pytest.fail("a cached grade was asked again"))
    assert again(case, "Ryan's cat.", "Ryan's cat!").passed
    assert again.asked == 0 and regrader.prompts == []
    # The same answer as the baseline's is as good as it without a request.
    assert again(case, "Ryan's cat.", " Ryan's cat.\n").passed and again.asked == 0
    # Another baseline answer is another comparison: asked again, in both orders.
    third, _ = _judge(tmp_path, _preferring("Ryan"))
    assert third(case, "Ryan's cat.", "No idea.").passed and third.asked == 2
    assert len(grader.prompts) == 2


def test_without_a_baseline_answer_a_pairwise_case_cannot_pass(tmp_path: Path) -> None:
    case = _case(tmp_path, {"criteria": CRITERIA, "pairwise": True})
    judge, grader = _judge(tmp_path, lambda prompt: "TIE")
    grade = judge(case, "Ryan's cat.", None)
    assert not grade.passed and "no baseline answer" in grade.reason and grader.prompts == []


def test_a_single_answer_rubric_still_asks_once(tmp_path: Path) -> None:
    case = _case(tmp_path, CRITERIA)
    judge, grader = _judge(tmp_path, lambda prompt: "PASS")
    assert judge(case, "Ryan's cat.", "ignored").passed
    assert len(grader.prompts) == 1 and grader.prompts[0][0]["content"] == "Say PASS or FAIL."


def test_the_estimate_counts_both_orders_and_both_answers_in_each_prompt(tmp_path: Path) -> None:
    pairwise = _case(tmp_path, {"criteria": CRITERIA, "pairwise": True})
    single = _case(tmp_path, CRITERIA)
    params = SamplingParams(temperature=0.0, seed=0, max_tokens=100)
    against_baseline = grading_estimate(GRADER, Work((pairwise,), params, 3), graded_per_sample=2)
    assert against_baseline.requests == 3 * 2  # every sample of the candidate, in both orders
    one_grade = grading_estimate(GRADER, Work((single,), params, 3), graded_per_sample=2)
    assert one_grade.requests == 3 * 2  # the candidate's and the baseline's answers, once each
    # Two answers of at most max_tokens ride in every pairwise prompt, one in a single grade's.
    assert against_baseline.prompt_tokens - one_grade.prompt_tokens == 3 * 2 * 100
    assert against_baseline.usd is not None and one_grade.usd is not None
    assert against_baseline.usd > one_grade.usd
    no_baseline = grading_estimate(GRADER, Work((pairwise,), params, 3), graded_per_sample=1)
    assert no_baseline.requests == 0


def test_validate_reads_both_forms_of_a_rubric(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    ask = [{"role": "user", "content": "q"}]
    path.write_text("".join(json.dumps({"messages": ask, "rubric": r}) + "\n" for r in [
        {"criteria": CRITERIA, "pairwise": True}, {"criteria": CRITERIA}, {"pairwise": True},
        {"criteria": CRITERIA, "pairwise": "yes"}, {"criteria": CRITERIA, "against": "x"}, ""]))
    read = read_eval_file(path, "c.jsonl")
    assert [(c.line, c.expect.rubric_pairwise) for c in read.cases] == [(1, True), (2, False)]
    assert [d.line for d in read.diagnostics] == [3, 4, 5, 6]
    assert all("pairwise: true" in d.message for d in read.diagnostics)
