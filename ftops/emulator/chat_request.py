"""A chat completion request, checked as the service checks it, as one frozen value.

Only what the simulated answer depends on is kept: the messages, how many
choices, the token limit, the sampling temperature and seed, and how to stream.
Parameters the emulator ignores (``top_p``, tools, ...) are accepted unchecked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ftops.emulator.apierrors import invalid

MAX_CHOICES = 128  # the spec's bound on ``n``
DEFAULT_TEMPERATURE = 1.0  # the service's default
_SEED_BOUND = 2**63
_INT64_MAX = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Message:
    role: str
    text: str  # the content as text: a string, or the text parts of a list


@dataclass(frozen=True, slots=True)
class ChatRequest:
    messages: tuple[Message, ...]
    raw_messages: tuple[Mapping[str, Any], ...]  # as sent: prompt tokens are counted on these
    n: int = 1
    max_tokens: int | None = None  # ``max_completion_tokens``, or the older ``max_tokens``
    temperature: float = DEFAULT_TEMPERATURE
    seed: int | None = None
    stream: bool = False
    include_usage: bool = False  # ``stream_options.include_usage``
    include_obfuscation: bool = True  # ``stream_options.include_obfuscation``

    @property
    def question(self) -> str:
        """The last user message: what the simulated model answers."""
        return next((m.text for m in reversed(self.messages) if m.role == "user"), "")

    @property
    def system_prompt(self) -> str:
        """The system and developer messages, in order: what a model is told before the question."""
        return "\n".join(m.text for m in self.messages if m.role in ("system", "developer"))


def _text(content: Any) -> str:
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def _messages(value: Any) -> tuple[Message, ...]:
    if not isinstance(value, list) or not value:
        raise invalid("'messages' must be a non-empty list.", param="messages")
    for index, message in enumerate(value):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise invalid(f"messages[{index}] must be an object with a 'role'.", param=f"messages[{index}]")
    return tuple(Message(m["role"], _text(m.get("content"))) for m in value)


def _integer(body: Mapping[str, Any], name: str, low: int, high: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise invalid(
            f"Invalid type for '{name}': expected an integer, but got {type(value).__name__} instead.",
            param=name,
            code="invalid_type",
        )
    if value < low:
        raise invalid(
            f"Invalid '{name}': integer below minimum value. Expected a value >= {low}, but got {value} "
            "instead.",
            param=name,
            code="integer_below_min_value",
        )
    if value > high:
        raise invalid(
            f"Invalid '{name}': integer above maximum value. Expected a value <= {high}, but got {value} "
            "instead.",
            param=name,
            code="integer_above_max_value",
        )
    return value


def _temperature(body: Mapping[str, Any]) -> float:
    value = body.get("temperature")
    if value is None:
        return DEFAULT_TEMPERATURE
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise invalid(
            "Invalid type for 'temperature': expected a decimal, but got a "
            f"{type(value).__name__} instead.",
            param="temperature",
            code="invalid_type",
        )
    if not 0 <= value <= 2:
        raise invalid(
            f"Invalid 'temperature': decimal {'below minimum' if value < 0 else 'above maximum'} value. "
            f"Expected a value {'>= 0' if value < 0 else '<= 2'}, but got {value} instead.",
            param="temperature",
            code="decimal_below_min_value" if value < 0 else "decimal_above_max_value",
        )
    return float(value)


def _max_tokens(body: Mapping[str, Any]) -> int | None:
    new = _integer(body, "max_completion_tokens", 1, _INT64_MAX)
    old = _integer(body, "max_tokens", 1, _INT64_MAX)
    if new is not None and old is not None:
        raise invalid(
            "max_tokens and max_completion_tokens cannot both be set; max_tokens is deprecated in "
            "favour of max_completion_tokens.",
            param="max_tokens",
        )
    return new if new is not None else old


def _stream_options(body: Mapping[str, Any], stream: bool) -> tuple[bool, bool]:
    options = body.get("stream_options")
    if options is None:
        return False, True
    if not stream:
        raise invalid(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
        )
    if not isinstance(options, dict):
        raise invalid("Invalid type for 'stream_options': expected an object.", param="stream_options")
    include_usage = options.get("include_usage", False)
    include_obfuscation = options.get("include_obfuscation", True)
    for name, flag in (("include_usage", include_usage), ("include_obfuscation", include_obfuscation)):
        if not isinstance(flag, bool):
            raise invalid(
                f"Invalid type for 'stream_options.{name}': expected a boolean.",
                param=f"stream_options.{name}",
                code="invalid_type",
            )
    return include_usage, include_obfuscation


def parse_chat_request(body: Mapping[str, Any]) -> ChatRequest:
    """The request's parts the answer depends on, or the service's 400 naming the bad one."""
    messages = _messages(body.get("messages"))
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise invalid("Invalid type for 'stream': expected a boolean.", param="stream", code="invalid_type")
    include_usage, include_obfuscation = _stream_options(body, bool(stream))
    n = _integer(body, "n", 1, MAX_CHOICES)
    return ChatRequest(
        messages=messages,
        raw_messages=tuple(body["messages"]),
        n=1 if n is None else n,
        max_tokens=_max_tokens(body),
        temperature=_temperature(body),
        seed=_integer(body, "seed", -_SEED_BOUND, _SEED_BOUND - 1),
        stream=bool(stream),
        include_usage=include_usage,
        include_obfuscation=include_obfuscation,
    )
