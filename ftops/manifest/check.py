"""``ftops validate`` end to end: the manifests, then every dataset they reference, offline.

The dataset rules belong to ``ftops.datasets`` (its own engine); this module
only decides which file to check for which format and model, and gathers the
results into one verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftops.diagnostics import Diagnostic, errors_of
from ftops.manifest.loader import Outcome, examine
from ftops.resources import Project


@dataclass(frozen=True, slots=True)
class Verdict:
    project: Project | None
    diagnostics: tuple[Diagnostic, ...]
    dataset_reports: dict[str, Any]  # name -> ftops.datasets report

    @property
    def valid(self) -> bool:
        return not errors_of(self.diagnostics)

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "diagnostics": [d.to_json() for d in self.diagnostics],
            "datasets": {name: _report_json(report) for name, report in self.dataset_reports.items()},
        }


def _report_json(report: Any) -> Any:
    to_json = getattr(report, "to_json", None)
    if callable(to_json):
        return to_json()
    return {"ok": bool(getattr(report, "ok", False))}  # pragma: no cover - the engine provides to_json


def validate_all(manifests_dir: Path, *, tokens: bool = True) -> Verdict:
    """Manifests plus every dataset whose file resolved (even when other manifest entries are wrong)."""
    outcome = examine(manifests_dir)
    diagnostics = list(outcome.diagnostics)
    reports = _check_datasets(outcome, tokens, diagnostics)
    return Verdict(outcome.project, tuple(diagnostics), reports)


def _check_datasets(outcome: Outcome, tokens: bool, diagnostics: list[Diagnostic]) -> dict[str, Any]:
    if not outcome.datasets:
        return {}
    try:
        from ftops.datasets import check_dataset, check_pair
    except ImportError as error:  # an incomplete install: say plainly that the contents went unchecked
        diagnostics.extend(
            Diagnostic(t.display, None, None, "", f"contents not checked: the dataset engine is unavailable "
                       f"({error})", severity="warning", code="manifest.datasets-unchecked")
            for t in outcome.datasets)
        return {}

    pricing = outcome.project.pricing if outcome.project is not None else None
    reports: dict[str, Any] = {}
    for target in outcome.datasets:
        report = check_dataset(target.path, target.format, model=target.model, tokens=tokens,
                               display_name=target.display, pricing=pricing, n_epochs=target.n_epochs)
        reports[target.name] = report
        diagnostics.extend(report.diagnostics)
    for train, valid in outcome.pairs:
        if train in reports and valid in reports:
            diagnostics.extend(check_pair(reports[train], reports[valid]))
    return reports
