"""Asking a model for answers with fixed sampling parameters, a bounded number at a time.

Every answer of a run uses the eval's temperature and max_tokens, and sample k
of a case uses seed + k, so that a run can be repeated and an answer found again
in a cache or a recording by (model, parameters, case, sample).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Final

from ftops.resources import EvalSuite

DEFAULT_CONCURRENCY: Final = 4


@dataclass(frozen=True, slots=True)
class SamplingParams:
    temperature: float = 0.0
    seed: int = 0
    max_tokens: int = 512

    @classmethod
    def of(cls, suite: EvalSuite) -> SamplingParams:
        return cls(suite.temperature, suite.seed, suite.max_tokens)

    def key(self) -> str:
        """How cache entries and recordings name these parameters."""
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))

    def to_json(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "seed": self.seed, "max_tokens": self.max_tokens}


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    tool_calls: tuple[tuple[str, str], ...] = ()  # (name, arguments as JSON text)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "answer": self.text, "finish_reason": self.finish_reason, "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens, "latency_s": round(self.latency_s, 4),
        }
        if self.tool_calls:
            out["tool_calls"] = [{"name": n, "arguments": a} for n, a in self.tool_calls]
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Answer:
        calls = tuple((str(c["name"]), str(c["arguments"])) for c in data.get("tool_calls") or ())
        return cls(str(data["answer"]), str(data.get("finish_reason", "")), int(data.get("prompt_tokens", 0)),
                   int(data.get("completion_tokens", 0)), float(data.get("latency_s", 0.0)), calls)


@dataclass(frozen=True, slots=True)
class Question:
    """One answer to ask for: a case's request, and which sample of it."""

    key: tuple[str, int]  # (case input hash, sample index)
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None
    seed: int


Ask = Callable[[Question], Answer]


def ask_all(questions: Iterable[Question], ask: Ask, concurrency: int = DEFAULT_CONCURRENCY,
            ) -> Iterator[tuple[Question, Answer]]:
    """Each question's answer as soon as it arrives, at most ``concurrency`` in flight. A failure
    stops the run after the answers already in flight have been handed over (so they are kept)."""
    pending = iter(questions)
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="ftops-eval") as pool:
        running: dict[Future[Answer], Question] = {}
        failure: BaseException | None = None

        def refill() -> None:
            while failure is None and len(running) < max(1, concurrency):
                question = next(pending, None)
                if question is None:
                    return
                running[pool.submit(ask, question)] = question

        refill()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                question = running.pop(future)
                error = future.exception()
                if error is not None:
                    failure = failure or error
                    continue
                yield question, future.result()
            refill()
        if failure is not None:
            raise failure
