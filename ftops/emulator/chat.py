"""Simulated chat answers: what a fine-tuned model "learned" is the closest training example.

This is no language model. A fine-tuned model answers with the assistant reply
of the training conversation whose prompt shares the most words with the
question (a bag-of-words overlap, normalised by length); a base model, which
knows nothing of the training data, gives a fixed, generic reply.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path

from ftops.emulator.training import conversations

_WORD = re.compile(r"\w+", re.UNICODE)

BASE_REPLY = (
    "I'm not sure. I don't have specific information about that. "
    "(Simulated reply from the ftops emulator: a base model knows nothing of your training data.)"
)


def words(text: str) -> frozenset[str]:
    return frozenset(word.lower() for word in _WORD.findall(text))


@functools.lru_cache(maxsize=32)
def _examples(path: Path, mtime_ns: int) -> tuple[tuple[frozenset[str], str], ...]:
    return tuple((words(prompt), reply) for prompt, reply in conversations(path))


def closest_reply(training_file: Path, question: str) -> str | None:
    """The reply of the best-matching training example, or None when no word is shared."""
    asked = words(question)
    if not asked or not training_file.exists():
        return None
    best, best_score = None, 0.0
    for prompt, reply in _examples(training_file, training_file.stat().st_mtime_ns):
        shared = len(asked & prompt)
        if shared:
            score = shared / math.sqrt(len(asked) * len(prompt))
            if score > best_score:
                best, best_score = reply, score
    return best
