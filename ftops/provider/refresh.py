"""Refresh: what the account holds, in three listings whatever the number of resources.

Training files, this project's jobs (on OpenAI, filtered by the service on the
``ftops_project`` metadata tag; with a watermark from the state, only the recent
pages: ``ftops.plan.listing``), and models. No request per resource: a job in a
terminal state never changes, and a running one is in the job listing with its
current status anyway.
"""

from __future__ import annotations

from ftops.plan.observed import Observed
from ftops.provider.base import FineTuningProvider
from ftops.provider.deployments import DeploymentManager


def refresh(provider: FineTuningProvider, project: str, jobs_since: int | None = None,
            deployments: DeploymentManager | None = None) -> Observed:
    """``jobs_since``: read the jobs listing only down to that creation time (see
    ``ftops.plan.listing``); None reads all of this project's jobs. Ignored where the service's
    listing is not newest first. ``deployments``: the management plane, when the project deploys
    (one more listing: the account's deployments)."""
    if not provider.capabilities.newest_first_job_listing:
        jobs_since = None
    before = provider.request_count
    files = provider.list_files()
    jobs = provider.list_jobs(project, since=jobs_since)
    models = provider.list_models()
    deployed = None
    before_deployments = 0
    if deployments is not None:
        before_deployments = deployments.request_count
        deployed = {d.name: d for d in deployments.list_deployments()}
        before_deployments = deployments.request_count - before_deployments
    return Observed(
        files={f.id: f for f in files},
        jobs={j.id: j for j in jobs},
        models={m.id: m for m in models},
        request_count=provider.request_count - before + before_deployments,
        jobs_since=jobs_since,
        job_phases=provider.capabilities.job_phases,
        deployments=deployed,
    )
