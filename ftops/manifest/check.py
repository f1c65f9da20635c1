"""``ftops validate`` end to end: the manifests, then every dataset they reference, offline.

The dataset rules belong to ``ftops.datasets`` (its own engine); this module
only decides which file to check for which format and model, and gathers the
results into one verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftops.diagnostics import Diagnostic, errors_of
from ftops.manifest.loader import Outcome, examine
from ftops.resources import Project


@dataclass(frozen=True, slots=True)
class Verdict:
    project: Project | None
    diagnostics: tuple[Diagnostic, ...]
    dataset_reports: dict[str, Any]  # name -> ftops.datasets report (the first failed check, else the first)
    # name -> each way the file was checked (``ftops.datasets.shared.describe``), the report's own first
    checked_for: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not errors_of(self.diagnostics)

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "diagnostics": [d.to_json() for d in self.diagnostics],
            "datasets": {name: {**_report_json(report), "checked_for": list(self.checked_for.get(name, ()))}
                         for name, report in self.dataset_reports.items()},
        }


def _report_json(report: Any) -> Any:
    to_json = getattr(report, "to_json", None)
    if callable(to_json):
        return to_json()
    return {"ok": bool(getattr(report, "ok", False))}  # pragma: no cover - the engine provides to_json


def validate_all(manifests_dir: Path, *, tokens: bool = True, cache: bool = True) -> Verdict:
    """Manifests plus every dataset whose file resolved (even when other manifest entries are wrong).

    With ``cache`` an unchanged dataset's report (and a training/validation pair's leakage check)
    comes from the project's dataset cache; see ``ftops.datasets.cache``."""
    outcome = examine(manifests_dir)
    diagnostics = list(outcome.diagnostics)
    root = outcome.project.root if outcome.project is not None else manifests_dir.resolve().parent
    checked_for: dict[str, tuple[str, ...]] = {}
    reports = _check_datasets(outcome, tokens, diagnostics, root if cache else None, checked_for)
    diagnostics.extend(_check_evals(outcome))
    return Verdict(outcome.project, tuple(diagnostics), reports, checked_for)


def _check_evals(outcome: Outcome) -> list[Diagnostic]:
    """Every eval file's cases, with their lines; a case also in a training file is a warning."""
    if not outcome.evals:
        return []
    from ftops.evals.cases import read_eval_file, rubric_without_grader
    from ftops.evals.overlap import training_overlap

    out: list[Diagnostic] = []
    training = list(dict.fromkeys(t.path for t in outcome.datasets if t.format == "chat"))
    for target in outcome.evals:
        read = read_eval_file(target.path, target.display)
        out.extend(read.diagnostics)
        out.extend(training_overlap(read.cases, target.display, training))
        if not target.has_grader:
            out.extend(rubric_without_grader(read.cases, target.display, target.name))
    return out


def _check_datasets(outcome: Outcome, tokens: bool, diagnostics: list[Diagnostic],
                    cache_root: Path | None, checked_for: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    if not outcome.datasets:
        return {}
    try:
        from ftops.datasets import check_pair
        from ftops.datasets.batch import CheckRequest, check_datasets
        from ftops.datasets.cache import ReportCache, ReportKey, default_cache_dir
        from ftops.datasets.report import DatasetReport, TrainingTerms
        from ftops.datasets.shared import ReaderKind, describe, merged_diagnostics, worst
    except ImportError as error:  # an incomplete install: say plainly that the contents went unchecked
        diagnostics.extend(
            Diagnostic(t.display, None, None, "", f"contents not checked: the dataset engine is unavailable "
                       f"({error})", severity="warning", code="manifest.datasets-unchecked")
            for t in outcome.datasets)
        return {}

    pricing = outcome.project.pricing if outcome.project is not None else None
    requests = [CheckRequest.of(t.path, t.format, model=t.model, tokens=tokens, display_name=t.display,
                                pricing=pricing, n_epochs=t.n_epochs,
                                terms=TrainingTerms(t.provider, t.method, t.training))
                for t in outcome.datasets]
    cache = ReportCache(default_cache_dir(cache_root)) if cache_root is not None else None
    checked = check_datasets(requests, cache)
    # a file read by jobs that train differently was checked once per way (``ftops.datasets.shared``)
    by_name: dict[str, list[tuple[ReaderKind, DatasetReport]]] = {}
    keys: dict[str, tuple[CheckRequest, ReportKey | None]] = {}
    for target, request, report, key in zip(outcome.datasets, requests, checked.reports, checked.keys,
                                             strict=True):
        kind = ReaderKind(TrainingTerms(target.provider, target.method, target.training), target.model)
        by_name.setdefault(target.name, []).append((kind, report))
        keys.setdefault(target.name, (request, key))  # the first reader's check, for the leakage check
    reports: dict[str, Any] = {}
    for name, checks in by_name.items():
        shown = worst(checks)
        reports[name] = shown
        ordered = sorted(checks, key=lambda check: check[1] is not shown)  # the shown report's way first
        checked_for[name] = tuple(describe(kind) for kind, _ in ordered)
        diagnostics.extend(merged_diagnostics(checks))
    for train, valid in outcome.pairs:
        if train not in reports or valid not in reports:
            continue
        (train_request, train_key), (valid_request, valid_key) = keys[train], keys[valid]
        found = None
        if cache is not None and train_key is not None and valid_key is not None:
            found = cache.get_pair(train_key, valid_key)
        if found is None:
            # the leakage check needs both files' example fingerprints, which cached reports lack
            train_report, valid_report = by_name[train][0][1], by_name[valid][0][1]
            pair = [train_report if train_report.example_hashes_known else train_request.run(),
                    valid_report if valid_report.example_hashes_known else valid_request.run()]
            found = check_pair(pair[0], pair[1])
            if cache is not None and train_key is not None and valid_key is not None:
                cache.put_pair(train_key, valid_key, found)
        diagnostics.extend(found)
    return reports
