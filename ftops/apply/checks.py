"""A model's checks: ask the new model each check's messages and compare the reply.

A name is repointed only when every check passes, so an application never gets a
model that fails what its owners declared it must do.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ftops.resources import Check

Ask = Callable[[Sequence[Mapping[str, Any]]], str]  # messages -> reply text

_REPLY_SHOWN = 300  # characters of a failing reply quoted in the message


@dataclass(frozen=True, slots=True)
class CheckFailure:
    index: int  # 1-based, in the manifest's order
    expectation: str  # e.g. "contains 'Ryan'"
    reply: str

    def describe(self, model_address: str) -> str:
        reply = self.reply if len(self.reply) <= _REPLY_SHOWN else self.reply[:_REPLY_SHOWN] + "..."
        return (
            f"{model_address}: check {self.index} failed: the reply must {self.expectation}; "
            f"it was {reply!r}"
        )


def failed_expectation(check: Check, reply: str) -> str | None:
    """The first expectation of ``check`` that ``reply`` does not meet, or None."""
    for needle in check.contains:
        if needle not in reply:
            return f"contain {needle!r}"
    for needle in check.not_contains:
        if needle in reply:
            return f"not contain {needle!r}"
    if check.matches is not None and re.search(check.matches, reply) is None:
        return f"match /{check.matches}/"
    if check.equals is not None and reply.strip() != check.equals.strip():
        return f"equal {check.equals!r}"
    return None


def run_checks(checks: Sequence[Check], ask: Ask) -> CheckFailure | None:
    """Run the checks in order; the first failure, or None when all pass."""
    for index, check in enumerate(checks, start=1):
        reply = ask(check.messages)
        expectation = failed_expectation(check, reply)
        if expectation is not None:
            return CheckFailure(index=index, expectation=expectation, reply=reply)
    return None
