"""Refresh: what the account holds, in three listings whatever the number of resources.

Files (``purpose=fine-tune``, 10,000 a page), this project's tagged jobs (filtered
by the service on the ``ftops_project`` metadata tag; with a watermark from the state,
only the recent pages: ``ftops.plan.listing``), and models (one list). No
request per resource: a job in a terminal state never changes, and a running one
is in the job listing with its current status anyway.
"""

from __future__ import annotations

from ftops.plan.observed import Observed
from ftops.provider.api import Provider


def refresh(provider: Provider, project: str, jobs_since: int | None = None) -> Observed:
    """``jobs_since``: read the jobs listing only down to that creation time (see
    ``ftops.plan.listing``); None reads all of this project's jobs."""
    before = provider.request_count
    files = provider.list_files("fine-tune")
    jobs = provider.list_jobs(project, since=jobs_since)
    models = provider.list_models()
    return Observed(
        files={f.id: f for f in files},
        jobs={j.id: j for j in jobs},
        models={m.id: m for m in models},
        request_count=provider.request_count - before,
        jobs_since=jobs_since,
    )
