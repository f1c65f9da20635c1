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


def _first_jobs_using(project: Project) -> dict[str, Job]:
    """Each dataset's first job by name (its model and epochs drive the estimates), in one pass:
    a scan of every job per dataset made loading quadratic (2.6 s at 5,000 datasets)."""
    first: dict[str, Job] = {}
    for name in sorted(project.jobs):
        job = project.jobs[name]
        for dataset in (job.training_file, job.validation_file):
            if dataset is not None:
                first.setdefault(dataset, job)
    return first


def _epochs(job: Job) -> int | None:
    value = job.method.hyperparameters.n_epochs
    return value if isinstance(value, int) else None


def _terms(project: Project, job: Job | None) -> TrainingTerms:
    """What a job's provider (its alias's, or the project's) and method mean for its files' rules
    and price."""
    from ftops.datasets import TrainingTerms
    from ftops.multi.partition import DEFAULT, config_of

    if job is None:
        return TrainingTerms(project.provider.type)
    kind = config_of(project, job.provider or DEFAULT).type
    return TrainingTerms(kind, job.method.type, job.method.training)


def build_desired(project: Project, *, cache: bool = True) -> Desired:
    """Check and fingerprint every dataset; estimate every job's training tokens and cost.

    With ``cache`` an unchanged file's report comes from the project's dataset cache (its bytes
    are still hashed; see ``ftops.datasets.cache``) and the others are checked in parallel."""
    from ftops.datasets.batch import CheckRequest, check_datasets
    from ftops.datasets.cache import ReportCache, default_cache_dir
    from ftops.manifest.loader import display_path

    reports: dict[str, DatasetReport] = {}
    diagnostics: list[Diagnostic] = []
    first_jobs = _first_jobs_using(project)
    names = sorted(project.datasets)
    requests = []
    for name in names:
        dataset = project.datasets[name]
        job = first_jobs.get(name)
        requests.append(CheckRequest.of(
            dataset.path,
            dataset.format,
            model=job.model if job else None,
            tokens=True,
            # Named as `validate` names it (not as the manifest wrote it, relative to itself),
            # so that a file:line is the same in every command.
            display_name=display_path(dataset.path),
            pricing=dict(project.pricing) or None,
            n_epochs=_epochs(job) if job else None,
            terms=_terms(project, job),
        ))
    store = ReportCache(default_cache_dir(project.root)) if cache else None
    checked = check_datasets(requests, store)
    for name, report in zip(names, checked.reports, strict=True):
        diagnostics.extend(report.diagnostics)
        if not report.ok:
            continue
        reports[name] = report
    failed = sorted(set(project.datasets) - set(reports))
    if failed:
        errors_only = [d for d in diagnostics if d.severity == "error"]
        raise DatasetError(
            f"{len(failed)} dataset(s) cannot be trained on: {', '.join(failed)}", errors_only
        )
    fingerprints = {name: DatasetFingerprint.of(report) for name, report in reports.items()}
    estimates = {name: _estimate(project, job, reports) for name, job in project.jobs.items()}
    from ftops.gate.preview import preview_gates

    return Desired(project=project, datasets=fingerprints, estimates=estimates, gates=preview_gates(project))


def _estimate(project: Project, job: Job, reports: Mapping[str, DatasetReport]) -> JobEstimate:
    from ftops.datasets.models import default_epochs, estimate_cost

    report = reports.get(job.training_file)
    stats = report.stats if report is not None else None
    if report is None or stats is None:
        return JobEstimate(training_tokens=None, usd=None)
    # The training file's report was made with this job's model only if it is the first job
    # to use it; the cost is computed here for this job's own model, method and epochs.
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
