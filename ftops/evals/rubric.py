"""Model-graded rubrics: a pinned grader model says PASS or FAIL for one answer against criteria.

Each grade is cached like an answer (``answers/grades/`` in the cache folder), keyed by the grader's
prompt, the case, its rubric and the exact answer text, so re-grading unchanged answers asks
nothing, and a changed rubric or grader prompt asks again only for what it changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ftops.evals.answers import AnswerLog, Header, safe_file_name
from ftops.evals.cases import EvalCase, digest
from ftops.evals.costs import CostEstimate
from ftops.evals.graders import Grade
from ftops.evals.sampling import Answer, SamplingParams
from ftops.resources import RubricGrader

if TYPE_CHECKING:
    from ftops.evals.collect import Work
    from ftops.provider import Provider

# Grades are asked deterministically and short: one word is expected.
GRADE_PARAMS: Final = SamplingParams(temperature=0.0, seed=0, max_tokens=16)


def grades_path(root: Path, grader_model: str) -> Path:
    from ftops.evals.recordings import answers_dir

    return answers_dir(root) / "grades" / f"{safe_file_name(grader_model)}.jsonl"


def grading_messages(grader: RubricGrader, case: EvalCase, answer: str) -> list[dict[str, str]]:
    asked = next((m.get("content") for m in reversed(case.messages) if m.get("role") == "user"), "")
    question = asked if isinstance(asked, str) else str(asked)
    return [
        {"role": "system", "content": grader.prompt},
        {"role": "user", "content": f"Question:\n{question}\n\nCriteria:\n{case.expect.rubric}\n\n"
                                    f"Answer:\n{answer}"},
    ]


@dataclass
class RubricJudge:
    """Grades answers of one eval's rubric cases with its grader, through the cache."""

    grader: RubricGrader
    provider: Provider
    root: Path
    provider_name: str
    asked: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    _log: AnswerLog | None = field(default=None, repr=False)

    def _grades(self) -> AnswerLog:
        if self._log is None:
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            self._log = AnswerLog(grades_path(self.root, self.grader.model),
                                  Header(self.grader.model, self.provider_name, self.grader.model, now))
        return self._log

    def __call__(self, case: EvalCase, answer: str) -> Grade:
        log = self._grades()
        key = digest({"prompt": self.grader.prompt, "case": case.input_hash, "rubric": case.expect.rubric,
                      "answer": answer})
        graded = log.get(GRADE_PARAMS, key, 0)
        if graded is None:
            reply = self.provider.complete(self.grader.model, grading_messages(self.grader, case, answer),
                                           options=GRADE_PARAMS.to_json())
            graded = Answer(reply.text, reply.finish_reason, reply.prompt_tokens, reply.completion_tokens,
                            0.0)
            log.append(GRADE_PARAMS, key, case.case_id, 0, graded)
            self.asked += 1
            self.prompt_tokens += reply.prompt_tokens
            self.completion_tokens += reply.completion_tokens
        word = graded.text.strip().split(maxsplit=1)[0].strip(".:!").upper() if graded.text.strip() else ""
        if word == "PASS":
            return Grade(True, "")
        said = graded.text.strip()[:40]
        return Grade(False, f"does not meet the rubric ({self.grader.model} said {said!r})")


def grading_estimate(grader: RubricGrader, work: Work, graded_per_sample: int) -> CostEstimate:
    """At most what grading ``work``'s rubric cases costs: every answer (``graded_per_sample`` per
    sample: the candidate's, and the baseline's when there is one) graded once, the answer at its
    max_tokens in the prompt. Cached grades are not subtracted: their answers are not known yet."""
    from ftops.evals.costs import estimate, price_per_million

    rubric_cases = [(c, work.samples * graded_per_sample) for c in work.cases if c.expect.rubric]
    base = estimate(grader.model, rubric_cases, GRADE_PARAMS)
    riding = sum(work.params.max_tokens * n for _, n in rubric_cases)  # the answers, in the prompts
    price = price_per_million(grader.model)
    usd = None if price is None or base.usd is None else base.usd + riding * price[0] / 1_000_000
    return CostEstimate(base.requests, base.prompt_tokens + riding, base.completion_tokens, usd)
