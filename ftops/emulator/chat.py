"""Simulated chat answers: what a model "knows" is its training replies and its system prompt.

This is no language model. Candidate answers are ranked by how many words
their prompt shares with the question (a bag-of-words overlap, normalised by
length):

- the sentences of the system (and developer) messages are candidates of every
  model, each ranked by its own words, so a base model with a good system prompt
  (a prompt-only replacement of a fine-tune) can be rehearsed;
- a fine-tuned model also has the assistant replies of its training examples,
  each ranked by its example's prompt, so it answers with what it was trained on
  unless the system prompt fits the question better.

A question that shares no word with any candidate gets a fixed reply: "I don't
know" from a fine-tuned model, a generic one from a base model.

Sampling. At temperature 0 the best candidate answers. Above 0 the answer is
picked among the few best (at most ``NEAREST``, each scoring within
``BAND_PER_TEMPERATURE * temperature`` of the best, so a higher temperature
widens the choice) by a hash of the seed, the question and the sample index (the
choice's index when ``n`` > 1). The same seed therefore gives the same answer,
and the samples of one question can differ, as the service's do. Without a seed
the emulator still answers the same way every time (as with seed 0), unlike the
service: rehearsals and tests repeat.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ftops.emulator.training import conversations

_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|\n+")

NEAREST = 3  # how many of the best candidates a temperature above 0 chooses among
BAND_PER_TEMPERATURE = 0.15  # at temperature 1, candidates within 15% of the best score

BASE_REPLY = (
    "I'm not sure. I don't have specific information about that. "
    "(Simulated reply from the ftops emulator: a base model knows nothing of your training data.)"
)
UNKNOWN_REPLY = (
    "I don't know about that; it was not in my fine-tuning data. (Simulated by the ftops emulator.)"
)


def words(text: str) -> frozenset[str]:
    return frozenset(word.lower() for word in _WORD.findall(text))


@dataclass(frozen=True, slots=True)
class Candidate:
    score: float  # 0 < score <= 1: the share of words the question and its prompt have in common
    reply: str


@dataclass(frozen=True, slots=True)
class Sampling:
    temperature: float
    seed: int | None
    question: str


def _similarity(asked: frozenset[str], prompt: frozenset[str]) -> float:
    shared = len(asked & prompt)
    return shared / math.sqrt(len(asked) * len(prompt)) if shared else 0.0


def rank(question: str, pairs: Iterable[tuple[frozenset[str], str]]) -> tuple[Candidate, ...]:
    """Distinct replies whose prompt shares a word with the question, best first (ties: first seen)."""
    asked = words(question)
    if not asked:
        return ()
    best: dict[str, float] = {}
    for prompt, reply in pairs:
        score = _similarity(asked, prompt)
        if score > best.get(reply, 0.0):
            best[reply] = score
    ordered = sorted(best.items(), key=lambda item: -item[1])  # stable: first seen wins a tie
    return tuple(Candidate(score, reply) for reply, score in ordered)


def pick(candidates: Sequence[Candidate], sampling: Sampling, sample: int) -> str | None:
    """The answer of sample number ``sample``: the best at temperature 0, else one of the few best."""
    if not candidates:
        return None
    if sampling.temperature <= 0:
        return candidates[0].reply
    floor = candidates[0].score * (1 - BAND_PER_TEMPERATURE * sampling.temperature)
    near = [c for c in candidates[:NEAREST] if c.score >= floor]
    key = f"{sampling.seed or 0}\x00{sampling.question}\x00{sample}".encode()
    index = int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % len(near)
    return near[index].reply


@functools.lru_cache(maxsize=32)
def _examples(path: Path, mtime_ns: int) -> tuple[tuple[frozenset[str], str], ...]:
    return tuple((words(prompt), reply) for prompt, reply in conversations(path))


def _learned(training_file: Path | None) -> tuple[tuple[frozenset[str], str], ...]:
    """A fine-tuned model's (prompt words, reply) pairs: its training examples."""
    if training_file is None or not training_file.exists():
        return ()
    return _examples(training_file, training_file.stat().st_mtime_ns)


def _told(system_prompt: str) -> Iterator[tuple[frozenset[str], str]]:
    """The system prompt's sentences, each its own prompt and reply."""
    for sentence in _SENTENCE_END.split(system_prompt):
        if sentence.strip():
            yield words(sentence), sentence.strip()


def answers(
    training_file: Path | None, fine_tuned: bool, system_prompt: str, sampling: Sampling, samples: int
) -> tuple[str, ...]:
    """What the simulated model says in each of ``samples`` samples (see the module's docstring)."""
    candidates = rank(sampling.question, itertools.chain(_learned(training_file), _told(system_prompt)))
    fallback = UNKNOWN_REPLY if fine_tuned else BASE_REPLY
    return tuple(pick(candidates, sampling, sample) or fallback for sample in range(samples))
