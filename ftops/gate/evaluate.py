"""Judging a candidate model on a name's evals against a baseline: scores, interval, verdict.

The baseline is the model the name points at now (asked live, its answers
cached), its recording (graded now with the same graders, so the old model need
not exist), or any model id. Grading is redone from the answers every time: it
is cheap and deterministic, so a changed expectation re-grades without a request.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ftops.evals.answers import AnswerLog
from ftops.evals.cases import EvalCase
from ftops.evals.collect import Work
from ftops.evals.graders import RubricGrading, grade
from ftops.evals.sampling import Answer
from ftops.gate.statistics import Comparison, Verdict, smallest_detectable_regression


@dataclass(frozen=True, slots=True)
class CaseScore:
    case_id: str
    score: float  # the fraction of its samples that passed
    reason: str  # why the first failing sample failed, "" when all passed


@dataclass(frozen=True, slots=True)
class EvalOutcome:
    eval_name: str
    candidate_score: float
    baseline_score: float | None  # None: no baseline (a name's first model)
    comparison: Comparison | None
    below_floor: bool  # the candidate's score is under the gate's min_score
    verdict: Verdict
    regressions: tuple[CaseScore, ...]  # the candidate's scores of cases the baseline did better on
    n: int
    detectable: float  # the smallest regression this many cases can detect


def case_scores(work: Work, log: AnswerLog, recording: AnswerLog | None,
                rubric: RubricGrading | None = None, baseline: AnswerLog | None = None) -> list[CaseScore]:
    """``baseline``: the answers a pairwise rubric compares with (the baseline's own answers, when
    these are its scores: each then ties with itself)."""
    out = []
    for case in work.cases:
        passed = 0
        reason = ""
        for k in range(work.samples):
            answer = log.get(work.params, case.input_hash, k)
            if answer is None:
                raise LookupError(case.case_id)
            compared = _baseline_answer(baseline, work, case, k) if case.expect.rubric_pairwise else None
            verdict = grade(case, answer, _recorded(recording, work, case), rubric, compared)
            passed += verdict.passed
            reason = reason or verdict.reason
        out.append(CaseScore(case.case_id, passed / work.samples, reason))
    return out


def _baseline_answer(baseline: AnswerLog | None, work: Work, case: EvalCase, k: int) -> str | None:
    """The baseline's answer of the same sample, else its first (a recording with fewer samples)."""
    if baseline is None:
        return None
    answer = baseline.get(work.params, case.input_hash, k) or baseline.get(work.params, case.input_hash, 0)
    return answer.text if answer is not None else None


def _recorded(recording: AnswerLog | None, work: Work, case: EvalCase) -> tuple[str, ...]:
    """The recording's answers to this case, sample by sample (the first is the reference)."""
    if recording is None:
        return ()
    out = []
    for k in range(work.samples):
        answer: Answer | None = recording.get(work.params, case.input_hash, k)
        if answer is None:
            break
        out.append(answer.text)
    return tuple(out)


def judge(eval_name: str, candidate: Sequence[CaseScore], baseline: Sequence[CaseScore] | None,
          margin: float, min_score: float | None) -> EvalOutcome:
    from ftops.gate.statistics import compare_scores

    n = len(candidate)
    cand_score = math.fsum(c.score for c in candidate) / n if n else 0.0
    below = min_score is not None and cand_score < min_score
    comparison = None
    regressions: tuple[CaseScore, ...] = ()
    if baseline is not None:
        comparison = compare_scores([b.score for b in baseline], [c.score for c in candidate], margin)
        regressions = tuple(c for b, c in zip(baseline, candidate, strict=True) if c.score < b.score)
        verdict = comparison.verdict
    else:
        verdict = Verdict.PASS
    if below:
        verdict = Verdict.FAIL
    return EvalOutcome(eval_name, cand_score, comparison.baseline_score if comparison else None, comparison,
                       below, verdict, regressions, n, smallest_detectable_regression(n))


def overall(outcomes: Sequence[EvalOutcome]) -> Verdict:
    """Every eval must pass: any FAIL fails the gate; otherwise any INCONCLUSIVE leaves it undecided."""
    verdicts = {o.verdict for o in outcomes}
    if Verdict.FAIL in verdicts:
        return Verdict.FAIL
    if Verdict.INCONCLUSIVE in verdicts:
        return Verdict.INCONCLUSIVE
    return Verdict.PASS


def scores_by_eval(works: Mapping[str, Work], log: AnswerLog, recording: AnswerLog | None,
                   rubrics: Mapping[str, RubricGrading] | None = None,
                   baseline: AnswerLog | None = None) -> dict[str, list[CaseScore]]:
    rubrics = rubrics or {}
    return {name: case_scores(work, log, recording, rubrics.get(name), baseline)
            for name, work in works.items()}
