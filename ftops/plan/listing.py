"""How far back a refresh must read the jobs listing, and what a refresh lets the state remember.

The service lists jobs newest first and never forgets one, so a project that has trained
1,000 times would read ten pages of finished jobs on every plan. Those pages teach nothing:
a job in a terminal state never changes, and the state already records it. So the state
keeps a *watermark*: a creation time before which every job of this project had finished
when the state was written (``next_job_watermark``). The next refresh reads the listing only
down to that time (``job_listing_since``), and a no-op apply reads the same number of pages
whether the project has 10 finished jobs or 10,000.

The shorter listing is used only when the planner cannot need what it skips:

* every declared job has a record with its current inputs, and no ``--replace``: adoption
  looks for a job with the same inputs at any age (a rollback to earlier inputs adopts the
  old job instead of training again), so a new or changed job reads everything;
* no intent is pending (an interrupted create must be found, whatever its age);
* every unfinished recorded job has a known creation time, and the listing reaches it;
* not ``--destroy`` nor ``--refresh-only``, which are about the whole account.

A state with no watermark (new, older, or pushed by hand) reads the whole listing, which
then sets one. Pure functions: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from ftops.plan.desired import Desired
from ftops.plan.observed import Observed
from ftops.plan.options import PlanOptions
from ftops.plan.records import StateRecords
from ftops.provider.types import JobPhase, phase_of

# Jobs are stamped by the service's clocks; one created on another machine a little before a
# refresh could carry an earlier time than the newest job that refresh listed. The watermark
# stays this far behind the newest listed job so such a job is still read next time.
WATERMARK_MARGIN_SECONDS: Final = 600


def needs_full_job_listing(desired: Desired, records: StateRecords, options: PlanOptions) -> str | None:
    """Why this plan must read every job of the project, or None if the recent ones suffice."""
    if options.destroy:
        return "destroy"
    if options.refresh_only:
        return "refresh-only"
    if records.pending:
        return "an interrupted create is pending"
    for name, job in desired.project.jobs.items():
        record = records.jobs.get(name)
        if record is None:
            return f"{job.address} has no record"
        if job.address in options.replaces:
            return f"--replace {job.address}"
        if record.inputs_hash != desired.inputs_hash(job):
            return f"{job.address} changed"
    return None


def job_listing_since(
    desired: Desired, records: StateRecords, watermark: int | None, options: PlanOptions,
    *, job_phases: Mapping[str, JobPhase] = MappingProxyType({}),
) -> int | None:
    """The creation time down to which the jobs listing must be read; None: read all of it.
    ``job_phases``: the service's status words (``Capabilities.job_phases``), to read the
    statuses the records keep. Only for a service whose listing is newest first."""
    if watermark is None or needs_full_job_listing(desired, records, options) is not None:
        return None
    since = watermark
    for record in records.jobs.values():
        if phase_of(record.status, job_phases).is_terminal:
            continue
        if record.created_at is None:
            return None  # an unfinished job whose age is unknown: only the whole listing finds it
        since = min(since, record.created_at)
    return since


def next_job_watermark(observed: Observed) -> int | None:
    """What the state may remember after this refresh: every job of the project created before
    the returned time had finished when it was listed. None: nothing to remember (no job
    listed and no earlier watermark to keep)."""
    jobs = list(observed.jobs.values())
    if not jobs:
        return observed.jobs_since
    newest = max(job.created_at for job in jobs) - WATERMARK_MARGIN_SECONDS
    unfinished = [job.created_at for job in jobs if not job.is_terminal]
    # Jobs older than the listing's start (``jobs_since``) were not read this time: the watermark
    # it started from says they had finished, and a finished job stays finished.
    return max(min([newest, *unfinished]), 0)
