"""Model-graded rubrics: a pinned grader model says PASS or FAIL for one answer against criteria,
or, for a pairwise rubric, compares it with the baseline's answer in both orders (``pairwise``).

Each grade is cached like an answer (``answers/grades/`` in the cache folder), keyed by the grader's
prompt, the case, its rubric and the exact answer text (and, pairwise, the baseline's answer and the
order), so re-grading unchanged answers asks nothing, and a changed rubric or grader prompt asks
again only for what it changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ftops.evals.answers import AnswerLog, Header, safe_file_name
from ftops.evals.cases import EvalCase, digest
from ftops.evals.costs import ChatPrices, CostEstimate
from ftops.evals.graders import Grade
from ftops.evals.pairwise import ORDERS, Order, combine, preference, reply_word
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


def _question(case: EvalCase) -> str:
    asked = next((m.get("content") for m in reversed(case.messages) if m.get("role") == "user"), "")
    return asked if isinstance(asked, str) else str(asked)


def grading_messages(grader: RubricGrader, case: EvalCase, answer: str) -> list[dict[str, str]]:
    question = _question(case)
    return [
        {"role": "system", "content": grader.prompt},
        {"role": "user", "content": f"Question:\n{question}\n\nCriteria:\n{case.expect.rubric}\n\n"
                                    f"Answer:\n{answer}"},
    ]


def pairwise_messages(grader: RubricGrader, case: EvalCase, answer: str, baseline: str,
                      order: Order) -> list[dict[str, str]]:
    """The same prompt in both orders; only which answer is A and which is B changes."""
    shown = {order.graded_label: answer, order.baseline_label: baseline}
    return [
        {"role": "system", "content": grader.pairwise_prompt},
        {"role": "user", "content": f"Question:\n{_question(case)}\n\nCriteria:\n{case.expect.rubric}\n\n"
                                    f"Answer A:\n{shown['A']}\n\nAnswer B:\n{shown['B']}"},
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

    def __call__(self, case: EvalCase, answer: str, baseline: str | None = None) -> Grade:
        """``baseline``: the baseline's answer to the same case and sample, for a pairwise rubric."""
        if case.expect.rubric_pairwise:
            return self._compare(case, answer, baseline)
        key = digest({"prompt": self.grader.prompt, "case": case.input_hash, "rubric": case.expect.rubric,
                      "answer": answer})
        graded = self._ask(case, key, 0, grading_messages(self.grader, case, answer))
        if reply_word(graded.text) == "PASS":
            return Grade(True, "")
        said = graded.text.strip()[:40]
        return Grade(False, f"does not meet the rubric ({self.grader.model} said {said!r})")

    def _compare(self, case: EvalCase, answer: str, baseline: str | None) -> Grade:
        if baseline is None:
            return Grade(False, "has no baseline answer to be compared with (a pairwise rubric needs one)")
        if answer.strip() == baseline.strip():
            return Grade(True, "")  # the same answer is as good as itself: nothing to ask
        said = []
        for order in ORDERS:
            key = digest({"prompt": self.grader.pairwise_prompt, "case": case.input_hash,
                          "rubric": case.expect.rubric, "answer": answer, "baseline": baseline,
                          "order": order.index})
            graded = self._ask(case, key, order.index,
                               pairwise_messages(self.grader, case, answer, baseline, order))
            said.append(preference(order, graded.text))
        return combine(said[0], said[1], self.grader.model)

    def _ask(self, case: EvalCase, key: str, order: int, messages: list[dict[str, str]]) -> Answer:
        """The cached grade under ``key``, else the grader's reply, appended to the cache."""
        log = self._grades()
        graded = log.get(GRADE_PARAMS, key, order)
        if graded is None:
            reply = self.provider.complete(self.grader.model, messages, options=GRADE_PARAMS.to_json())
            graded = Answer(reply.text, reply.finish_reason, reply.prompt_tokens, reply.completion_tokens,
                            0.0)
            log.append(GRADE_PARAMS, key, case.case_id, order, graded)
            self.asked += 1
            self.prompt_tokens += reply.prompt_tokens
            self.completion_tokens += reply.completion_tokens
        return graded


def grading_estimate(grader: RubricGrader, work: Work, graded_per_sample: int,
                     prices: ChatPrices | None = None) -> CostEstimate:
    """At most what grading ``work``'s rubric cases costs, the answers at their max_tokens in the
    prompts. A single-answer rubric grades every answer once (``graded_per_sample`` per sample: the
    candidate's, and the baseline's when there is one); a pairwise rubric asks twice per sample of
    the candidate (both orders, two answers in each prompt) when there is a baseline to compare with,
    and never for the baseline's own answers (compared with themselves, they tie). Cached grades are
    not subtracted: their answers are not known yet."""
    from ftops.evals.costs import estimate, price_per_million

    def requests(case: EvalCase) -> int:
        if not case.expect.rubric_pairwise:
            return work.samples * graded_per_sample
        return work.samples * len(ORDERS) if graded_per_sample > 1 else 0

    rubric_cases = [(c, requests(c)) for c in work.cases if c.expect.rubric]
    base = estimate(grader.model, rubric_cases, GRADE_PARAMS, prices)
    shown = {c.input_hash: 2 if c.expect.rubric_pairwise else 1 for c, _ in rubric_cases}
    riding = sum(work.params.max_tokens * n * shown[c.input_hash] for c, n in rubric_cases)
    price = price_per_million(grader.model, prices)
    usd = None if price is None or base.usd is None else base.usd + riding * price[0] / 1_000_000
    return CostEstimate(base.requests, base.prompt_tokens + riding, base.completion_tokens, usd)
