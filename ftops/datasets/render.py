"""A dataset report's statistics as lines for people."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ftops.datasets.report import DatasetReport, Distribution


def _dist(name: str, dist: Distribution) -> str:
    return (
        f"  {name:<26} min {dist.min:>8,}  mean {dist.mean:>10,.1f}  p50 {dist.p50:>8,}  "
        f"p90 {dist.p90:>8,}  max {dist.max:>8,}"
    )


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:,.1f} KB"
    return f"{size / 1024 / 1024:,.1f} MB"


def _usd(usd: float) -> str:
    return f"${usd:,.2f}" if usd >= 0.01 or usd == 0 else f"${usd:.4f}"


def summary_lines(report: DatasetReport) -> list[str]:
    errors, warnings = report.error_count, report.warning_count
    lines = [
        f"{report.display_name} ({report.format}): {report.examples:,} examples, "
        f"{_size(report.size_bytes)}, "
        f"{'OK' if report.ok else 'NOT TRAINABLE'} ({errors:,} error{'s' if errors != 1 else ''}, "
        f"{warnings:,} warning{'s' if warnings != 1 else ''})",
        f"  content hash  {report.content_hash}",
        f"  raw sha256    {report.raw_sha256}",
    ]
    stats = report.stats
    if stats is None:
        lines.append("  (no token statistics: tokens not counted, or no example without errors)")
        return lines
    who = f"{stats.model} ({stats.encoding})" if stats.model else f"{stats.encoding} (no model given)"
    if stats.tokens_estimated:
        from ftops.datasets.own_tokenizers import OWN_TOKENIZERS

        own = stats.model in OWN_TOKENIZERS
        extra = " (pip install 'ftops[tokenizers]' counts it with its own)" if own else ""
        who = f"{stats.encoding}, an ESTIMATE: no tokenizer of {stats.model} is installed{extra}"
    lines += [
        f"  tokens counted with {who}; chat overhead counted as in OpenAI's cookbook"
        + (
            f"; statistics over the {stats.examples:,} examples without errors"
            if stats.examples != report.examples
            else ""
        ),
        _dist("messages per example", stats.messages),
        _dist("tokens per example", stats.total_tokens),
        _dist("trained (assistant) tokens", stats.assistant_tokens),
    ]
    if stats.images:
        lines.append(
            f"  {stats.images:,} images (their tokens depend on size and detail and are not counted)"
        )
    limit = f"{stats.token_limit:,}" if stats.token_limit else "unknown"
    lines.append(
        f"  billed tokens {stats.billed_tokens:,} (each example capped at the training limit, {limit}); "
        f"{stats.over_limit:,} over the limit"
    )
    lines.append(
        f"  epochs {stats.n_epochs} (auto would choose {stats.auto_epochs}); "
        f"estimated training tokens {stats.estimated_training_tokens:,}"
    )
    cost = stats.cost
    if cost is None:
        lines.append("  estimated cost: give a model to estimate it")
    elif cost.usd is None:
        lines.append(
            f"  estimated cost: no training price known for {cost.model} (set one in the manifests' pricing)"
        )
    else:
        origin = f"price table of {cost.price_table_date}" if cost.source == "package table" else cost.source
        lines.append(
            f"  estimated cost {_usd(cost.usd)} (${cost.usd_per_1m_tokens:,.2f} per 1M training tokens, "
            f"{origin})"
        )
    return lines
