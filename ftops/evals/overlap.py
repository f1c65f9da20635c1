"""Cases that also appear in a training file: a model that trained on them scores them too well."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import orjson

from ftops.diagnostics import Diagnostic
from ftops.evals.cases import EvalCase, input_hash_of


def _training_prompts(path: Path) -> Iterator[str]:
    """The input hash of each training conversation's prompt (its messages before the last answer)."""
    with path.open("rb") as stream:
        for raw in stream:
            try:
                data = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue  # the dataset check reports it
            messages = data.get("messages") if isinstance(data, dict) else None
            if not isinstance(messages, list):
                continue
            last = max((i for i, m in enumerate(messages)
                        if isinstance(m, dict) and m.get("role") == "assistant"), default=None)
            if last:
                yield input_hash_of([_plain(m) for m in messages[:last]])


def _plain(message: object) -> object:
    """Only what is asked counts (a training example's ``weight`` does not)."""
    if isinstance(message, dict):
        return {k: v for k, v in message.items() if k in ("role", "content", "name")}
    return message


def training_overlap(cases: Sequence[EvalCase], display: str, training: Sequence[Path]) -> list[Diagnostic]:
    if not cases or not training:
        return []
    by_prompt = {input_hash_of([_plain(dict(m)) for m in case.request_messages()]): case for case in cases}
    out: list[Diagnostic] = []
    for path in training:
        for prompt in _training_prompts(path):
            case = by_prompt.pop(prompt, None)
            if case is not None:
                out.append(Diagnostic(display, case.line, None, "messages",
                                      f"this case is also in the training file {path.name}: a model trained "
                                      "on it scores it too well", severity="warning",
                                      code="eval.in-training"))
    return out
