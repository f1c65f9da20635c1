"""The shared vocabulary of the format rules: what a checked example yields, and how problems are said."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

Issue = tuple[str, str, str, str]  # (json path, message, code, severity)

# Cookbook chat formatting: every message costs 3 tokens plus its role (one token for
# every role in o200k_base and cl100k_base, checked in the tests), a ``name`` one more,
# and every example 3 for priming the reply.
TOKENS_PER_MESSAGE: Final = 3 + 1
TOKENS_PER_NAME: Final = 1
TOKENS_PER_REPLY: Final = 3


@dataclass(slots=True)
class Shape:
    """One valid-enough example, as the token counter and the warnings see it."""

    messages: int = 0
    overhead: int = TOKENS_PER_REPLY  # formatting tokens known without encoding
    prompt: list[str] = field(default_factory=list)  # texts not trained on
    trained: list[str] = field(default_factory=list)  # texts trained on
    images: int = 0
    has_system: bool = False
    has_user: bool = False
    functions: int = 0  # tool (or legacy function) definitions, counted by ftops.datasets.toolcount


class Check:
    """State for checking one line: the issues found and the texts collected."""

    __slots__ = ("issues", "shape")

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.shape = Shape()

    def error(self, path: str, message: str, code: str) -> None:
        self.issues.append((path, message, code, "error"))

    def warning(self, path: str, message: str, code: str) -> None:
        self.issues.append((path, message, code, "warning"))


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def article(role: str) -> str:
    return f"an {role}" if role[0] in "aeio" else f"a {role}"  # "a user": the u sounds like "you"


def unknown_keys(check: Check, obj: dict[str, Any], allowed: frozenset[str], path: str, what: str) -> None:
    for key in obj:
        if key not in allowed:
            where = f"{path}.{key}" if path else key
            known = ", ".join(sorted(allowed))
            check.error(where, f"unknown key {key!r} in {what} (allowed: {known})", "dataset.unknown-key")


def blank(text: str) -> bool:
    # isspace() stops at the first visible character, where strip() would copy the whole text
    return not text or text.isspace()
