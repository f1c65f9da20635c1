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


def unmet_text_rule(contains: Sequence[str], not_contains: Sequence[str], matches: str | None,
                    equals: str | None, text: str) -> tuple[str, str] | None:
    """The first text expectation ``text`` does not meet, as (kind, operand), or None: the rules a
    check and an eval case share (``ftops.evals.graders`` words them its own way)."""
    for needle in contains:
        if needle not in text:
            return "contains", needle
    for needle in not_contains:
        if needle in text:
            return "not_contains", needle
    if matches is not None and re.search(matches, text) is None:
        return "matches", matches
    if equals is not None and text.strip() != equals.strip():
        return "equals", equals
    return None


def failed_expectation(check: Check, reply: str) -> str | None:
    """The first expectation of ``check`` that ``reply`` does not meet, or None."""
    unmet = unmet_text_rule(check.contains, check.not_contains, check.matches, check.equals, reply)
    if unmet is None:
        return None
    kind, operand = unmet
    return {"contains": f"contain {operand!r}", "not_contains": f"not contain {operand!r}",
            "matches": f"match /{operand}/", "equals": f"equal {operand!r}"}[kind]


def run_checks(checks: Sequence[Check], ask: Ask) -> CheckFailure | None:
    """Run the checks in order; the first failure, or None when all pass."""
    for index, check in enumerate(checks, start=1):
        reply = ask(check.messages)
        expectation = failed_expectation(check, reply)
        if expectation is not None:
            return CheckFailure(index=index, expectation=expectation, reply=reply)
    return None
