"""From a file to a report: the streaming pass, the file-level rules, the statistics."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from ftops.datasets import (
    FORMATS,
    MAX_FILE_BYTES,
    MAX_PLAIN_UPLOAD_BYTES,
    MIN_EXAMPLES,
    RECOMMENDED_EXAMPLES,
)
from ftops.datasets.collect import DEFAULT_CAP, Collector
from ftops.datasets.engine import Scanner, ScanResult
from ftops.datasets.models import default_epochs, estimate_cost, model_info
from ftops.datasets.own_tokenizers import own_tokenizer
from ftops.datasets.report import DatasetReport, DatasetStats, Distribution, Fingerprint, TrainingTerms
from ftops.diagnostics import Diagnostic
from ftops.errors import UsageError

TOGETHER_ESTIMATE_ENCODING: Final = "cl100k_base"
TOGETHER_MIN_EXAMPLES: Final = 1  # its SDK's MIN_SAMPLES
TOGETHER_MAX_FILE_BYTES: Final = int(50.1 * 1024**3)  # its SDK's MAX_FILE_SIZE_GB


def run_check(
    path: Path,
    format: str,
    *,
    model: str | None,
    tokens: bool,
    display_name: str | None,
    pricing: Mapping[str, float] | None,
    n_epochs: int | str | None,
    plain_upload: bool,
    workers: int | None,
    cap: int | None,
    terms: TrainingTerms | None = None,
) -> DatasetReport:
    if format not in FORMATS:
        raise UsageError(f"unknown dataset format {format!r} (expected one of: {', '.join(FORMATS)})")
    name = display_name if display_name is not None else str(path)
    collector = Collector(name, cap if cap is not None else DEFAULT_CAP)
    info = model_info(model)
    together = terms is not None and terms.together
    # A Together model is counted with its own vocabulary where an installed package ships it
    # (own_tokenizers), else estimated with cl100k_base, as the emulator counts them, and labelled
    # so (docs/pricing.md); so is a model ftops does not know.
    own = own_tokenizer(info.base or model) if tokens else None
    encoding_name = own.name if own is not None else TOGETHER_ESTIMATE_ENCODING if together else info.encoding
    estimated = own is None and (together or (model is not None and info.family is None))
    encoding: Any = own
    if tokens and own is None:
        from ftops.datasets.encodings import get_encoding

        encoding = get_encoding(encoding_name)
    scan = Scanner(
        path,
        format,
        collector,
        encoding=encoding,
        token_limit=info.token_limit,
        model=info.base or model,
        workers=workers,
        together=together,
    ).run()
    _file_rules(scan, collector, plain_upload, together)
    stats = None
    if tokens and scan.valid_examples:
        stats = _statistics(scan, encoding_name, model, info.token_limit, n_epochs, pricing, terms, estimated)
    diagnostics = collector.diagnostics()
    return DatasetReport(
        path=path,
        format=format,
        display_name=name,
        diagnostics=diagnostics,
        ok=collector.error_count == 0,
        content_hash=scan.content_hash,
        raw_sha256=scan.raw_sha256,
        size_bytes=scan.size_bytes,
        examples=scan.examples,
        stats=stats,
        example_hashes=scan.example_hashes,
        error_count=collector.error_count,
        warning_count=collector.warning_count,
    )


def _file_rules(scan: ScanResult, out: Collector, plain_upload: bool, together: bool = False) -> None:
    least = TOGETHER_MIN_EXAMPLES if together else MIN_EXAMPLES
    if scan.size_bytes == 0:
        out.error(None, "", "the file is empty", "dataset.too-few-examples")
    elif scan.examples < least:
        out.error(
            None,
            "",
            f"{scan.examples} example{'s' if scan.examples != 1 else ''}: "
            f"fine-tuning needs at least {least}",
            "dataset.too-few-examples",
        )
    elif scan.examples < RECOMMENDED_EXAMPLES:
        out.warning(
            None,
            "",
            f"only {scan.examples} examples: {RECOMMENDED_EXAMPLES}-100 well-made examples "
            "are usually needed to see an effect",
            "dataset.few-examples",
        )
    size_mb = scan.size_bytes / 1024 / 1024
    if together:  # one upload (in parts above 5 GB, which the SDK does by itself)
        if scan.size_bytes > TOGETHER_MAX_FILE_BYTES:
            out.error(None, "", f"{size_mb:,.0f} MB: Together takes training files of at most 50.1 GB",
                      "dataset.too-large")
        return
    if scan.size_bytes > MAX_FILE_BYTES:
        out.error(None, "", f"{size_mb:,.0f} MB: training files are limited to 8 GB", "dataset.too-large")
    elif scan.size_bytes > MAX_PLAIN_UPLOAD_BYTES:
        if plain_upload:
            out.error(
                None,
                "",
                f"{size_mb:,.0f} MB: the files endpoint accepts at most 512 MB "
                "(larger files go through the uploads endpoint in parts)",
                "dataset.too-large",
            )
        else:
            out.warning(
                None,
                "",
                f"{size_mb:,.0f} MB: over 512 MB, so it must be uploaded in parts "
                "through the uploads endpoint",
                "dataset.multipart-upload",
            )


def _statistics(
    scan: ScanResult,
    encoding: str,
    model: str | None,
    token_limit: int | None,
    n_epochs: int | str | None,
    pricing: Mapping[str, float] | None,
    terms: TrainingTerms | None = None,
    estimated: bool = False,
) -> DatasetStats:
    totals = scan.totals  # how many examples had each total
    cap = token_limit if token_limit else max(totals, default=0)
    billed = sum(min(total, cap) * count for total, count in totals.items())
    over = sum(count for total, count in totals.items() if total > cap)
    auto = default_epochs(scan.examples, terms)  # what a job that leaves n_epochs out trains
    given = isinstance(n_epochs, int) and not isinstance(n_epochs, bool)
    epochs = n_epochs if given and isinstance(n_epochs, int) else default_epochs(scan.examples, terms)
    return DatasetStats(
        examples=scan.valid_examples,
        messages=Distribution.of_counts(scan.messages),
        total_tokens=Distribution.of_counts(totals),
        assistant_tokens=Distribution.of_counts(scan.trained),
        billed_tokens=billed,
        token_limit=token_limit,
        over_limit=over,
        auto_epochs=auto,
        n_epochs=epochs,
        estimated_training_tokens=billed * epochs,
        cost=estimate_cost(billed, epochs, model, pricing, terms) if model else None,
        encoding=encoding,
        model=model,
        images=scan.images,
        tokens_estimated=estimated,
    )


def pair_diagnostics(train: DatasetReport, validation: DatasetReport) -> tuple[Diagnostic, ...]:
    if not (train.example_hashes_known and validation.example_hashes_known):
        # a cached report has no fingerprints: comparing them would report no leakage, wrongly
        raise ValueError("pair_diagnostics needs reports with their example fingerprints (not cached ones)")
    found: list[Diagnostic] = []
    shared = train.example_hashes.shared_with(validation.example_hashes)
    if shared:
        share = shared / max(1, len(validation.example_hashes))
        found.append(
            Diagnostic(
                validation.display_name,
                None,
                None,
                "",
                f"{shared:,} example{'s' if shared > 1 else ''} ({share:.0%} of the validation set) "
                f"also in the training file {train.display_name}: "
                "validation loss will look better than it is",
                "warning",
                "dataset.leakage",
            )
        )
    if validation.examples > train.examples:
        found.append(
            Diagnostic(
                validation.display_name,
                None,
                None,
                "",
                f"the validation set ({validation.examples:,} examples) is larger than the training set "
                f"({train.examples:,}) in {train.display_name}",
                "warning",
                "dataset.validation-larger",
            )
        )
    return tuple(found)


def run_fingerprint(path: Path) -> Fingerprint:
    collector = Collector(str(path))
    scan = Scanner(path, None, collector, encoding=None).run()
    return Fingerprint(scan.content_hash, scan.raw_sha256, scan.size_bytes, scan.examples)
