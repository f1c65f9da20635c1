"""Pairwise rubrics: the grader compares an answer with the baseline's answer, in both orders.

A grader shown two answers tends to prefer one position (usually the first),
whatever the answers say: position bias. So every comparison is asked twice with
the same prompt, once with the answer graded as A and once as B, and each reply
is turned into what it says about the graded answer: better, as good, or worse.

The answer passes only when both orders find it no worse than the baseline's.
A disagreement (one order prefers the graded answer, the other the baseline's)
counts as a failure: the preference followed the position, not the answers, so
the grader has not shown the answer to be no worse, and a gate that lets a model
take a name must not count an undecided comparison as a success. A reply that is
not A, B or TIE says nothing, and fails the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final

from ftops.evals.graders import Grade


class Preference(Enum):
    """What one order's reply says about the graded answer, against the baseline's."""

    BETTER = "better"
    TIE = "as good"
    WORSE = "worse"
    UNCLEAR = "unclear"


@dataclass(frozen=True, slots=True)
class Order:
    """One of the two orders: which position the graded answer is shown in."""

    index: int  # 0: the graded answer is A; 1: it is B
    graded_label: str
    baseline_label: str


ORDERS: Final = (Order(0, "A", "B"), Order(1, "B", "A"))


def reply_word(reply: str) -> str:
    """The reply's first word, upper-cased, punctuation around it dropped ("" for an empty reply)."""
    stripped = reply.strip()
    return stripped.split(maxsplit=1)[0].strip(".:!*\"'()[]").upper() if stripped else ""


def preference(order: Order, reply: str) -> Preference:
    word = reply_word(reply)
    if word == order.graded_label:
        return Preference.BETTER
    if word == order.baseline_label:
        return Preference.WORSE
    if word in ("TIE", "EQUAL", "SAME"):
        return Preference.TIE
    return Preference.UNCLEAR


def combine(first: Preference, second: Preference, grader_model: str) -> Grade:
    """The case's grade from both orders' preferences (``first``: the graded answer shown as A)."""
    both = (first, second)
    if all(p in (Preference.BETTER, Preference.TIE) for p in both):
        return Grade(True, "")
    if Preference.UNCLEAR in both:
        return Grade(False, f"was not compared: {grader_model} answered neither A, B nor TIE")
    if all(p is Preference.WORSE for p in both):
        return Grade(False, f"is worse than the baseline's answer in both orders ({grader_model})")
    if Preference.BETTER in both:
        # One order prefers each answer: the preference followed the position (position bias).
        return Grade(False, f"is judged better shown as {'A' if first is Preference.BETTER else 'B'} and "
                            f"worse shown as {'B' if first is Preference.BETTER else 'A'}: {grader_model} "
                            "disagrees with itself across orders (position bias), counted as a failure")
    shown = "A" if first is Preference.WORSE else "B"
    return Grade(False, f"is worse than the baseline's answer when shown as {shown}, as good in the other "
                        f"order ({grader_model})")
