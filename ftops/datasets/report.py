"""The values the dataset engine hands out: reports, statistics, cost estimates, fingerprints."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftops.datasets.fingerprints import ExampleHashes
from ftops.diagnostics import Diagnostic


@dataclass(frozen=True, slots=True)
class Distribution:
    """min, mean, p50, p90, max of one per-example quantity (nearest-rank percentiles)."""

    min: int
    mean: float
    p50: int
    p90: int
    max: int

    @classmethod
    def of(cls, values: Iterable[int]) -> Distribution:
        return cls.of_counts(Counter(values))

    @classmethod
    def of_counts(cls, counts: Mapping[int, int]) -> Distribution:
        """From how many times each value occurs: exact, in memory that grows with the distinct
        values (a few thousand token counts), not with the number of examples."""
        ordered = sorted((value, count) for value, count in counts.items() if count > 0)
        n = sum(count for _, count in ordered)
        if not n:
            return cls(0, 0.0, 0, 0, 0)

        def rank(q: float) -> int:
            # nearest rank: the smallest value with at least a share q of the values at or below it
            index = max(0, math.ceil(q * n) - 1)  # its position in the sorted values
            seen = 0
            for value, count in ordered:
                seen += count
                if seen > index:
                    return value
            raise AssertionError("unreachable: index < n")

        total = sum(value * count for value, count in ordered)
        return cls(ordered[0][0], total / n, rank(0.5), rank(0.9), ordered[-1][0])

    def to_json(self) -> dict[str, Any]:
        return {"min": self.min, "mean": self.mean, "p50": self.p50, "p90": self.p90, "max": self.max}


@dataclass(frozen=True, slots=True)
class TrainingTerms:
    """How the job that reads a file trains, as far as the file's rules and price depend on it."""

    provider: str = "openai"  # a provider type: Together's files follow Together's rules and prices
    method: str = "supervised"
    training: str | None = None  # lora | full (Together; None: its default, LoRA)

    @property
    def together(self) -> bool:
        return self.provider == "together"


@dataclass(frozen=True, slots=True)
class CostEstimate:
    model: str
    usd_per_1m_tokens: float | None  # None when no price is known for the model
    training_tokens: int  # billed tokens x epochs
    usd: float | None  # None when no price is known
    price_table_date: str | None  # date of the packaged table; None for manifest pricing
    source: str  # "package table", "manifest pricing" or "unknown"

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "usd_per_1m_tokens": self.usd_per_1m_tokens,
            "training_tokens": self.training_tokens,
            "usd": self.usd,
            "price_table_date": self.price_table_date,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class DatasetStats:
    """Token statistics. Chat formatting overhead is counted the cookbook way: 3 tokens per
    message, the role, 1 more per ``name``, and 3 to prime the reply."""

    examples: int
    messages: Distribution
    total_tokens: Distribution
    assistant_tokens: Distribution  # trained tokens: assistant messages with weight 1
    billed_tokens: int  # sum over examples of min(total, token_limit)
    token_limit: int | None
    over_limit: int  # examples longer than token_limit (truncated by the service)
    auto_epochs: int
    n_epochs: int  # the epochs used for the estimate (given, or auto)
    estimated_training_tokens: int  # billed_tokens x n_epochs
    cost: CostEstimate | None
    encoding: str
    model: str | None
    images: int = 0  # image parts seen; their tokens depend on size and are not counted
    # True when the counts come from another model's encoding (no tokenizer of this model is
    # packaged, e.g. Together's open-weight models): every output says "estimate"
    tokens_estimated: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "messages": self.messages.to_json(),
            "total_tokens": self.total_tokens.to_json(),
            "assistant_tokens": self.assistant_tokens.to_json(),
            "billed_tokens": self.billed_tokens,
            "token_limit": self.token_limit,
            "over_limit": self.over_limit,
            "auto_epochs": self.auto_epochs,
            "n_epochs": self.n_epochs,
            "estimated_training_tokens": self.estimated_training_tokens,
            "cost": self.cost.to_json() if self.cost else None,
            "encoding": self.encoding,
            "model": self.model,
            "images": self.images,
            "tokens_estimated": self.tokens_estimated,
        }


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What the planner needs to know whether a file changed: no tokens, no statistics."""

    content_hash: str  # "sha256:<hex>" of the canonical examples
    raw_sha256: str  # "sha256:<hex>" of the exact bytes
    size_bytes: int
    examples: int


@dataclass(frozen=True, slots=True)
class DatasetReport:
    path: Path
    format: str
    display_name: str  # how messages name the file
    diagnostics: tuple[Diagnostic, ...]
    ok: bool  # no error-severity diagnostics
    content_hash: str  # "sha256:<hex>" of the canonical examples, see ftops.datasets.canonical
    raw_sha256: str  # "sha256:<hex>" of the exact bytes, for the upload
    size_bytes: int
    examples: int  # lines that parsed as JSON objects
    stats: DatasetStats | None  # None without tokens, or when errors prevent counting
    # Process-local 64-bit fingerprints of each canonical example, for duplicate and
    # leakage checks (check_pair), in a compact table (see ftops.datasets.fingerprints);
    # not stable across processes, never persist them.
    example_hashes: ExampleHashes = field(default_factory=ExampleHashes)
    # every problem found, including those past the per-kind cap of ``diagnostics``
    error_count: int = 0
    warning_count: int = 0
    # False for a report read from the cache (``ftops.datasets.cache``): its fingerprints were
    # process-local and are not kept, so ``example_hashes`` is empty, not "no examples"
    example_hashes_known: bool = True

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "warning")

    @property
    def fingerprint(self) -> Fingerprint:
        return Fingerprint(self.content_hash, self.raw_sha256, self.size_bytes, self.examples)

    def summary_lines(self) -> list[str]:
        """The statistics, for people."""
        from ftops.datasets.render import summary_lines

        return summary_lines(self)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "format": self.format,
            "ok": self.ok,
            "content_hash": self.content_hash,
            "raw_sha256": self.raw_sha256,
            "size_bytes": self.size_bytes,
            "examples": self.examples,
            "errors": self.error_count,
            "warnings": self.warning_count,
            "diagnostics": [d.to_json() for d in self.diagnostics],
            "stats": self.stats.to_json() if self.stats else None,
        }
