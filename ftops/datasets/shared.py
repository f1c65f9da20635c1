"""One file read by jobs that train under different terms: its checks' problems, each said once.

A dataset without ``provider:`` is uploaded to the provider of each job that reads it
(``ftops.multi``), so it must pass every one of their rules: the file is checked once per
distinct ``TrainingTerms`` and base model of its readers (each check cached under its own
key, ``ftops.datasets.cache``). A problem every check found is reported as it is; one that
only some checks found names the providers (and, when one service trains it two ways, the
way) that would refuse it, so the author knows which job it breaks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ftops.datasets.report import DatasetReport, TrainingTerms
from ftops.diagnostics import Diagnostic


@dataclass(frozen=True, slots=True)
class ReaderKind:
    """What a file's check depends on in the jobs that read it: their terms and base model."""

    terms: TrainingTerms
    model: str | None


def merged_diagnostics(checks: Sequence[tuple[ReaderKind, DatasetReport]]) -> tuple[Diagnostic, ...]:
    """The diagnostics of one file's checks, each once, by line (the file's own last); a
    problem that not every check found says which provider(s) it concerns."""
    if len(checks) == 1:
        return checks[0][1].diagnostics
    labels = _labels([kind for kind, _ in checks])
    found_by: dict[Diagnostic, list[str]] = {}
    for (_, report), label in zip(checks, labels, strict=True):
        for diagnostic in report.diagnostics:
            by = found_by.setdefault(diagnostic, [])
            if label not in by:
                by.append(label)
    every = set(labels)
    out = []
    for diagnostic, by in found_by.items():
        if set(by) == every:
            out.append(diagnostic)
            continue
        said = " and ".join(by)
        suffix = f" ({said} would refuse it)" if diagnostic.severity == "error" else f" (on {said})"
        out.append(replace(diagnostic, message=diagnostic.message + suffix))
    return tuple(sorted(out, key=lambda d: (d.line is None, d.line or 0)))  # stable: a check's own order


def worst(checks: Sequence[tuple[ReaderKind, DatasetReport]]) -> DatasetReport:
    """The report to show for the file: the first that failed, else the first reader's."""
    return next((report for _, report in checks if not report.ok), checks[0][1])


def describe(kind: ReaderKind) -> str:
    """A way of reading a file, for people: 'Together AI, full supervised training of MODEL'."""
    from ftops.provider.accepts import acceptance_for

    terms = kind.terms
    way = f"{terms.training} {terms.method}" if terms.training else terms.method
    model = f" of {kind.model}" if kind.model else ""
    return f"{acceptance_for(terms.provider).service}, {way} training{model}"


def _labels(kinds: Sequence[ReaderKind]) -> list[str]:
    """Each check's name in messages: its service, with the training way and model only where
    the service alone does not tell two checks apart."""
    from ftops.provider.accepts import acceptance_for

    services = [acceptance_for(kind.terms.provider).service for kind in kinds]
    out = []
    for kind, service in zip(kinds, services, strict=True):
        same = [k for k, s in zip(kinds, services, strict=True) if s == service]
        label = service
        if len({(k.terms.method, k.terms.training) for k in same}) > 1:
            label += f" {kind.terms.training or 'default'} {kind.terms.method} training"
        if len({k.model for k in same if k.terms == kind.terms}) > 1 and kind.model:
            label += f" of {kind.model}"
        out.append(label)
    return out
