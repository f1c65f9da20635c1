"""Answers of one model to the cases of some evals: from its answer log, else asked and appended.

Each answer asked is appended (and flushed) as soon as it arrives, so a run cut
short keeps every answer it got; a re-run asks only for what is missing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ftops.evals.answers import AnswerLog
from ftops.evals.cases import EvalCase
from ftops.evals.costs import ChatPrices, CostEstimate, estimate, sum_costs
from ftops.evals.sampling import DEFAULT_CONCURRENCY, Answer, Question, SamplingParams, ask_all
from ftops.resources import RubricGrader

if TYPE_CHECKING:
    from ftops.provider import Provider


@dataclass(frozen=True, slots=True)
class Work:
    """Some cases, asked with one set of sampling parameters, so many samples each."""

    cases: tuple[EvalCase, ...]
    params: SamplingParams
    samples: int
    file_hash: str = ""  # of the eval file's cases and expectations
    grader: RubricGrader | None = None  # for the cases with a rubric

    def missing(self, log: AnswerLog) -> list[tuple[EvalCase, int]]:
        return [(case, k) for case in self.cases for k in range(self.samples)
                if log.get(self.params, case.input_hash, k) is None]


@dataclass(frozen=True, slots=True)
class Collected:
    asked: int
    reused: int  # answers found in the log: no request sent
    prompt_tokens: int
    completion_tokens: int


def plan_cost(model: str, works: Sequence[Work], log: AnswerLog,
              prices: ChatPrices | None = None) -> CostEstimate:
    """What asking for the answers not yet in the log will cost at most (``prices``: the manifests')."""
    parts = []
    for work in works:
        missing: dict[str, tuple[EvalCase, int]] = {}
        for case, _k in work.missing(log):
            count = missing.get(case.input_hash, (case, 0))[1]
            missing[case.input_hash] = (case, count + 1)
        parts.append(estimate(model, missing.values(), work.params, prices))
    return sum_costs(parts)


def collect(provider: Provider, model: str, works: Sequence[Work], log: AnswerLog, *,
            concurrency: int = DEFAULT_CONCURRENCY,
            on_answer: Callable[[int], None] | None = None) -> Collected:
    """Ask for every missing answer (bounded concurrency, the provider's retries) and append each."""
    asked = reused = prompt = completion = 0
    for work in works:
        missing = work.missing(log)
        reused += len(work.cases) * work.samples - len(missing)
        by_key = {(case.input_hash, k): case for case, k in missing}
        questions = [Question((case.input_hash, k), case.request_messages(), case.request_tools(),
                              work.params.seed + k) for case, k in missing]

        def ask(question: Question, params: SamplingParams = work.params) -> Answer:
            options = {"temperature": params.temperature, "seed": question.seed,
                       "max_tokens": params.max_tokens}
            started = time.monotonic()
            reply = provider.complete(model, question.messages, tools=question.tools, options=options)
            return Answer(reply.text, reply.finish_reason, reply.prompt_tokens, reply.completion_tokens,
                          time.monotonic() - started, reply.tool_calls)

        for question, answer in ask_all(questions, ask, concurrency):
            case = by_key[question.key]
            log.append(work.params, case.input_hash, case.case_id, question.key[1], answer)
            asked += 1
            prompt += answer.prompt_tokens
            completion += answer.completion_tokens
            if on_answer is not None:
                on_answer(asked)
    return Collected(asked, reused, prompt, completion)
