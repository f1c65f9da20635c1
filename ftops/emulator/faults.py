"""Fault injection: a small spec language, parsed once, consulted per API request.

Grammar (whitespace around separators is ignored)::

    SPEC   := RULE (";" RULE)*
    RULE   := ["[" METHOD " " PATH-GLOB "]"] ITEM ("," ITEM)*
    ITEM   := KIND ":" PROBABILITY            e.g. 429:0.1   500:0.05   drop:0.02   drop-after:0.02
            | "latency:" DURATION [":" PROBABILITY]          e.g. latency:0.2s   latency:50ms:0.5
            | "seq:" STEP ("," STEP)*         one STEP per matching request, in order, then "ok"
            | "retry-after:" DURATION         Retry-After sent with this rule's 429s (default 0.05s)
            | "seed:" INTEGER                 makes this rule's coin flips repeatable
    STEP   := "ok" | KIND | "latency:" DURATION
    KIND   := "429" | "500" | "drop" | "drop-after"

``drop`` closes the connection before the request is handled; ``drop-after``
handles it (the file or job is created) and then closes the connection
instead of answering. A rule without a scope applies to every API request (``/v1/...`` and
Together's ``/together/...``);
``[POST /v1/fine_tuning/jobs] seq:ok,drop-after`` only to job creation.
METHOD may be ``*``. Several matching rules combine: latencies add up, and the
first rule that picks a fault decides it.
"""

from __future__ import annotations

import fnmatch
import random
import re
import threading
from dataclasses import dataclass

from ftops.errors import UsageError

KINDS = ("429", "500", "drop", "drop-after")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s)?$")
_SCOPE = re.compile(r"^\[\s*([A-Za-z*]+)\s+(\S+)\s*\]\s*(.*)$", re.DOTALL)
DEFAULT_RETRY_AFTER_S = 0.05


@dataclass(frozen=True, slots=True)
class Decision:
    latency_s: float = 0.0
    fault: str | None = None  # one of KINDS
    retry_after_s: float = DEFAULT_RETRY_AFTER_S


@dataclass(frozen=True, slots=True)
class Step:
    fault: str | None  # None: ok
    latency_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Rule:
    method: str
    path_glob: str
    chances: tuple[tuple[str, float], ...]  # (kind, probability)
    latencies: tuple[tuple[float, float], ...]  # (seconds, probability)
    sequence: tuple[Step, ...]
    retry_after_s: float
    seed: int | None

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and fnmatch.fnmatchcase(path, self.path_glob)


def _duration(text: str, spec: str) -> float:
    match = _DURATION.match(text.strip())
    if not match:
        raise UsageError(f"Fault spec {spec!r}: {text!r} is not a duration like 0.2s or 50ms.")
    value = float(match.group(1))
    return value / 1000 if match.group(2) == "ms" else value


def _probability(text: str, spec: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise UsageError(f"Fault spec {spec!r}: {text!r} is not a probability between 0 and 1.")
    return value


def _parse_rule(text: str, spec: str) -> Rule:
    method, glob = "*", "*"  # the middleware consults faults for API requests only
    scoped = _SCOPE.match(text)
    if scoped:
        method, glob, text = scoped.group(1).upper(), scoped.group(2), scoped.group(3)
    chances: list[tuple[str, float]] = []
    latencies: list[tuple[float, float]] = []
    sequence: list[Step] = []
    retry_after, seed, in_sequence = DEFAULT_RETRY_AFTER_S, None, False
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            raise UsageError(f"Fault spec {spec!r}: an empty item.")
        head, _, rest = item.partition(":")
        if head == "seq":
            in_sequence = True
            item = rest.strip()
            head, _, rest = item.partition(":")
        if in_sequence and (item in ("ok", *KINDS) or (head == "latency" and ":" not in rest)):
            if head == "latency":
                sequence.append(Step(None, _duration(rest, spec)))
            else:
                sequence.append(Step(None if item == "ok" else item))
            continue
        in_sequence = False
        if head in KINDS and rest:
            chances.append((head, _probability(rest, spec)))
        elif head == "latency" and rest:
            duration, _, chance = rest.partition(":")
            latencies.append((_duration(duration, spec), _probability(chance, spec) if chance else 1.0))
        elif head == "retry-after" and rest:
            retry_after = _duration(rest, spec)
        elif head == "seed" and rest.strip().isdigit():
            seed = int(rest)
        else:
            raise UsageError(
                f"Fault spec {spec!r}: cannot read {item!r}. Use e.g. 429:0.1, latency:0.2s, "
                "seq:ok,429,drop-after, retry-after:1s, seed:7, optionally after [POST /v1/files]."
            )
    return Rule(method, glob, tuple(chances), tuple(latencies), tuple(sequence), retry_after, seed)


def parse_spec(spec: str | None) -> tuple[Rule, ...]:
    if not spec or not spec.strip():
        return ()
    return tuple(_parse_rule(part.strip(), spec) for part in spec.split(";") if part.strip())


class FaultInjector:
    """Decides, per request, whether to delay it and which fault to inject. Thread-safe."""

    def __init__(self, spec: str | None = None) -> None:
        self._lock = threading.Lock()
        self.set_spec(spec)

    def set_spec(self, spec: str | None) -> None:
        rules = parse_spec(spec)  # parse outside the lock: a bad spec changes nothing
        with self._lock:
            self.spec = spec
            self._rules = rules
            self._positions = [0] * len(rules)
            self._random = [random.Random(rule.seed) for rule in rules]

    def decide(self, method: str, path: str) -> Decision:
        latency, fault, retry_after = 0.0, None, DEFAULT_RETRY_AFTER_S
        with self._lock:
            for index, rule in enumerate(self._rules):
                if not rule.matches(method, path):
                    continue
                coin = self._random[index]
                picked: str | None = None
                if rule.sequence:
                    position = self._positions[index]
                    self._positions[index] = position + 1
                    if position < len(rule.sequence):
                        step = rule.sequence[position]
                        latency += step.latency_s
                        picked = step.fault
                for seconds, chance in rule.latencies:
                    if coin.random() < chance:
                        latency += seconds
                for kind, chance in rule.chances:
                    if picked is None and coin.random() < chance:
                        picked = kind
                if fault is None and picked is not None:
                    fault, retry_after = picked, rule.retry_after_s
        return Decision(latency, fault, retry_after)
