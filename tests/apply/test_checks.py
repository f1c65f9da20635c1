"""Model checks: each expectation kind, the first failure reported with the reply."""

from __future__ import annotations

import pytest

from ftops.apply.checks import failed_expectation, run_checks
from ftops.resources import Check

MESSAGES = ({"role": "user", "content": "Who is Chunsik?"},)


@pytest.mark.parametrize(
    ("check", "reply", "expected"),
    [
        (Check(MESSAGES, contains=("Ryan",)), "Chunsik is Ryan's cat.", None),
        (Check(MESSAGES, contains=("Ryan",)), "A cat.", "contain 'Ryan'"),
        (Check(MESSAGES, contains=("Ryan", "box")), "Ryan's cat.", "contain 'box'"),
        (Check(MESSAGES, not_contains=("dog",)), "A cat.", None),
        (Check(MESSAGES, not_contains=("dog",)), "A dog.", "not contain 'dog'"),
        (Check(MESSAGES, matches=r"Ryan'?s"), "Ryans cat", None),
        (Check(MESSAGES, matches=r"^\d+$"), "twelve", r"match /^\d+$/"),
        (Check(MESSAGES, equals="Yes"), "  Yes\n", None),
        (Check(MESSAGES, equals="Yes"), "Yes!", "equal 'Yes'"),
        (Check(MESSAGES), "anything", None),
    ],
)
def test_each_expectation(check: Check, reply: str, expected: str | None) -> None:
    assert failed_expectation(check, reply) == expected


def test_run_checks_stops_at_the_first_failure_and_quotes_the_reply() -> None:
    asked: list[str] = []

    def ask(messages: object) -> str:
        asked.append(str(messages))
        return "Chunsik is a cat." + " very long" * 100

    checks = (Check(MESSAGES, contains=("cat",)), Check(MESSAGES, contains=("Ryan",)), Check(MESSAGES))
    failure = run_checks(checks, ask)
    assert failure is not None and failure.index == 2
    assert len(asked) == 2
    text = failure.describe("models.chunsik")
    assert text.startswith(
        "models.chunsik: check 2 failed: the reply must contain 'Ryan'; it was 'Chunsik is a cat."
    )
    assert text.endswith("...'")
    assert len(text) < 450
