"""The planner's inputs from local files: each dataset checked and hashed, each job estimated.

This is the file I/O the pure planner must not do. Every dataset is checked in
full before anything is planned, so a broken line is reported with its file and
line, offline, and nothing is sent to the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ftops.diagnostics import Diagnostic
from ftops.errors import DatasetError
from ftops.plan.desired import DatasetFingerprint, Desired, JobEstimate
from ftops.resources import Job, Project

if TYPE_CHECKING:
    from ftops.datasets import DatasetReport, TrainingTerms
    from ftops.datasets.shared import ReaderKind


def _readers(project: Project) -> dict[str, list[Job]]:
    """Each dataset's jobs, by name, in one pass: a scan of every job per dataset made loading
    quadratic (2.6 s at 5,000 datasets)."""
    readers: dict[str, list[Job]] = {}
    for name in sorted(project.jobs):
        job = project.jobs[name]
        for dataset in dict.fromkeys((job.training_file, job.validation_file)):
            if dataset is not None:
                readers.setdefault(dataset, []).append(job)
    return readers


def _reader_kind(project: Project, job: Job) -> ReaderKind:
    from ftops.datasets.shared import ReaderKind

    return ReaderKind(_terms(project, job), job.model)


def _epochs(job: Job) -> int | None:
    value = job.method.hyperparameters.n_epochs
    return value if isinstance(value, int) else None


def _terms(project: Project, job: Job | None, alias: str | None = None) -> TrainingTerms:
    """What a job's provider (its alias's, or the project's) and method mean for its files' rules
    and price; with no job, the provider of ``alias`` (a dataset's own)."""
    from ftops.datasets import TrainingTerms
    from ftops.multi.partition import DEFAULT, config_of

    if job is None:
        return TrainingTerms(config_of(project, alias or DEFAULT).type)
    kind = config_of(project, job.provider or DEFAULT).type
    return TrainingTerms(kind, job.method.type, job.method.training)


def build_desired(project: Project, *, cache: bool = True) -> Desired:
    """Check and fingerprint every dataset; estimate every job's training tokens and cost.

    With ``cache`` an unchanged file's report comes from the project's dataset cache (its bytes
    are still hashed; see ``ftops.datasets.cache``) and the others are checked in parallel."""
    from ftops.datasets.batch import CheckRequest, check_datasets
    from ftops.datasets.cache import ReportCache, default_cache_dir
    from ftops.datasets.shared import ReaderKind, merged_diagnostics
    from ftops.manifest.loader import display_path

    # A dataset read by jobs that train differently is checked once per way, by each one's
    # rules (``ftops.datasets.shared``); each job is estimated from its own way's report.
    checks: dict[str, list[tuple[ReaderKind, DatasetReport]]] = {}
    diagnostics: list[Diagnostic] = []
    readers = _readers(project)
    keys: list[tuple[str, ReaderKind]] = []
    requests = []
    for name in sorted(project.datasets):
        dataset = project.datasets[name]
        ways: dict[ReaderKind, Job | None] = {}
        for reader in readers.get(name, []):
            ways.setdefault(_reader_kind(project, reader), reader)
        if not ways:
            ways[ReaderKind(_terms(project, None, dataset.provider), None)] = None
        for kind, job in ways.items():
            keys.append((name, kind))
            requests.append(CheckRequest.of(
                dataset.path,
                dataset.format,
                model=kind.model,
                tokens=True,
                # Named as `validate` names it (not as the manifest wrote it, relative to itself),
                # so that a file:line is the same in every command.
                display_name=display_path(dataset.path),
                pricing=dict(project.pricing) or None,
                n_epochs=_epochs(job) if job else None,
                terms=kind.terms,
            ))
    store = ReportCache(default_cache_dir(project.root)) if cache else None
    checked = check_datasets(requests, store)
    for (name, kind), report in zip(keys, checked.reports, strict=True):
        checks.setdefault(name, []).append((kind, report))
    reports: dict[str, DatasetReport] = {}
    for name, done in checks.items():
        diagnostics.extend(merged_diagnostics(done))
        if all(report.ok for _, report in done):
            reports[name] = done[0][1]
    failed = sorted(set(project.datasets) - set(reports))
    if failed:
        errors_only = [d for d in diagnostics if d.severity == "error"]
        raise DatasetError(
            f"{len(failed)} dataset(s) cannot be trained on: {', '.join(failed)}", errors_only
        )
    by_way = {(name, kind): report for name, done in checks.items() for kind, report in done}
    fingerprints = {name: DatasetFingerprint.of(report) for name, report in reports.items()}
    estimates = {name: _estimate(project, job, _reports_for(project, job, by_way))
                 for name, job in project.jobs.items()}
    from ftops.gate.preview import preview_gates

    return Desired(project=project, datasets=fingerprints, estimates=estimates, gates=preview_gates(project))


def _reports_for(project: Project, job: Job, by_way: Mapping[tuple[str, ReaderKind], DatasetReport],
                 ) -> dict[str, DatasetReport]:
    """The reports of a job's files as its own provider, method and model read them."""
    kind = _reader_kind(project, job)
    files = (job.training_file, job.validation_file)
    return {name: by_way[(name, kind)] for name in files if name is not None and (name, kind) in by_way}


def _estimate(project: Project, job: Job, reports: Mapping[str, DatasetReport]) -> JobEstimate:
    from ftops.datasets.models import default_epochs, estimate_cost

    report = reports.get(job.training_file)
    stats = report.stats if report is not None else None
    if report is None or stats is None:
        return JobEstimate(training_tokens=None, usd=None)
    # The report counted the tokens as this job's provider and model do; the cost is computed
    # here for this job's own epochs (another job of the same way may set other epochs).
    terms = _terms(project, job)
    n_epochs = _epochs(job) or default_epochs(report.examples, terms)
    cost = estimate_cost(stats.billed_tokens, n_epochs, job.model, dict(project.pricing) or None, terms,
                         _evaluation_tokens(job, reports, terms))
    # usd is None when no price is known: the plan shows the cost as unknown (and a budget refuses).
    return JobEstimate(training_tokens=cost.training_tokens, usd=cost.usd, n_epochs=n_epochs,
                       tokens_estimated=stats.tokens_estimated)


def _evaluation_tokens(job: Job, reports: Mapping[str, DatasetReport], terms: TrainingTerms) -> int:
    """Together bills its evaluations: n_evals passes over the validation file."""
    n_evals = job.method.hyperparameters.n_evals
    validation = reports.get(job.validation_file) if job.validation_file is not None else None
    if not terms.together or not isinstance(n_evals, int) or validation is None or validation.stats is None:
        return 0
    return n_evals * validation.stats.billed_tokens
