"""Whether one answer passes one case: every expectation the case gives must hold.

Deterministic graders only: the same answer and case always give the same
verdict, so grading is redone from cached or recorded answers at no cost, and a
changed expectation re-grades without asking the model again.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from jsonschema import Draft202012Validator
from rapidfuzz import fuzz

from ftops.apply.checks import unmet_text_rule
from ftops.evals.cases import EvalCase, Expectations, SimilarExpectation, ToolCallExpectation
from ftops.evals.sampling import Answer
from ftops.resources import thaw

_NUMBER: Final = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_SHOWN: Final = 60


@dataclass(frozen=True, slots=True)
class Grade:
    passed: bool
    reason: str  # the first expectation that failed, "" when passed


# (case, answer text, the baseline's answer to the same case and sample or None) -> grade, by a
# grader model; the baseline's answer is compared with for a pairwise rubric only.
RubricGrading = Callable[[EvalCase, str, "str | None"], "Grade"]


def grade(case: EvalCase, answer: Answer, recorded: str | Sequence[str] | None = None,
          rubric: RubricGrading | None = None, baseline: str | None = None) -> Grade:
    """``recorded``: the recording's answers to the same case (its samples, the first being the
    reference), for ``similar: {recording: true}``;
    ``rubric``: grades a case's rubric (asked only once every other expectation holds);
    ``baseline``: the baseline's answer to the same case and sample, for a pairwise rubric."""
    failure = _first_failure(case.expect, answer, recorded)
    if failure is None and case.expect.rubric is not None:
        if rubric is None:
            return Grade(False, "has a rubric, and its eval has no grader")
        return rubric(case, answer.text, baseline)
    return Grade(failure is None, failure or "")


def _first_failure(expect: Expectations, answer: Answer, recorded: str | Sequence[str] | None) -> str | None:
    text = answer.text
    unmet = unmet_text_rule(expect.contains, expect.not_contains, expect.matches, expect.equals, text)
    if unmet is not None:
        kind, operand = unmet
        return {"contains": f"does not contain {operand!r}", "not_contains": f"contains {operand!r}",
                "matches": f"does not match /{operand}/", "equals": f"is not {_short(operand)!r}"}[kind]
    if expect.json_schema is not None:
        problem = _json_problem(text, thaw(expect.json_schema))
        if problem:
            return problem
    if expect.number is not None:
        found = _NUMBER.search(text)
        wanted = expect.number
        if found is None:
            return f"has no number (wanted {wanted.value:g} ± {wanted.tolerance:g})"
        value = float(found.group())
        if not math.isclose(value, wanted.value, abs_tol=wanted.tolerance, rel_tol=0.0):
            return f"says {value:g}, not {wanted.value:g} ± {wanted.tolerance:g}"
    if expect.tool_call is not None:
        problem = _tool_problem(expect.tool_call, answer.tool_calls)
        if problem:
            return problem
    if expect.similar is not None:
        return _similarity_problem(expect.similar, text, recorded)
    return None


def similarity(metric: str, left: str, right: str) -> float:
    """0..1, from rapidfuzz's metric of that name (a normalised edit-distance family)."""
    scorer = getattr(fuzz, metric)
    return float(scorer(left, right)) / 100.0


def _similarity_problem(expect: SimilarExpectation, text: str,
                        recorded: str | Sequence[str] | None) -> str | None:
    samples = (recorded,) if isinstance(recorded, str) else tuple(recorded or ())
    reference = expect.reference if expect.reference is not None else (samples[0] if samples else None)
    if reference is None:
        return "has no recorded answer to be compared with (run ftops record)"
    threshold = expect.threshold
    if expect.to_recording and len(samples) > 1:
        # The recorded model disagreed with itself this much: no successor is asked to agree more.
        threshold = min(threshold, *(similarity(expect.metric, other, reference) for other in samples[1:]))
    score = similarity(expect.metric, text, reference)
    if score < threshold:
        what = "the recorded answer" if expect.to_recording else "the reference"
        lowered = threshold < expect.threshold
        floor = f" (the recording's own samples agree to {threshold:.2f})" if lowered else ""
        return f"is {score:.2f} similar to {what} ({expect.metric}), below {threshold:.2f}{floor}"
    return None


def _json_problem(text: str, schema: dict[str, Any]) -> str | None:
    try:
        value = json.loads(text)
    except ValueError:
        return "is not JSON"
    error = next(iter(Draft202012Validator(schema).iter_errors(value)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the answer"
        return f"is JSON, but {where}: {error.message}"
    return None


def _tool_problem(expect: ToolCallExpectation, calls: tuple[tuple[str, str], ...]) -> str | None:
    named = [arguments for name, arguments in calls if name == expect.name]
    if not named:
        made = ", ".join(name for name, _ in calls) or "none"
        return f"does not call {expect.name} (calls: {made})"
    if expect.arguments is None:
        return None
    wanted = thaw(expect.arguments)
    for raw in named:
        try:
            given = json.loads(raw)
        except ValueError:
            continue
        if isinstance(given, Mapping) and all(given.get(k) == v for k, v in wanted.items()):
            return None
    return f"calls {expect.name} without the arguments {json.dumps(wanted, sort_keys=True)}"


def _short(text: str) -> str:
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."
