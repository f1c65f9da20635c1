"""A saved plan applied a second time: which of its creates the account already holds.

A saved plan is checked against the state it was made from (``ftops.plan.planfile``), but a
state restored from an older copy can match it again; so before a saved plan runs, the
account's listings are read again (three requests) and each upload and job create is looked
for by its identity, as a create whose answer was lost is (``ftops.apply.steps``): the
upload's content-named filename, the job's address and inputs tags. One found means the plan
was applied already: it is refused as stale, never carried out twice.
"""

from __future__ import annotations

from ftops.apply.steps import find_file, find_job
from ftops.plan.model import CreateJob, Plan, UploadFile
from ftops.plan.observed import Observed


def creates_already_done(plan: Plan, observed: Observed) -> tuple[str, ...]:
    """Each create of ``plan`` whose object ``observed`` already holds, with that object's id."""
    files, jobs = tuple(observed.files.values()), tuple(observed.jobs.values())
    done: list[str] = []
    for change in plan.changes:
        for step in change.steps:
            if isinstance(step, UploadFile):
                file = find_file(files, step.filename, set(step.supersedes))
                if file is not None:
                    done.append(f"{step.address} (uploaded as {file.id})")
            elif isinstance(step, CreateJob):
                job = find_job(jobs, step.spec.identity, set(step.supersedes))
                if job is not None:
                    done.append(f"{step.address} (job {job.id}, {job.status})")
    return tuple(done)
