"""``apply --wait`` between its two locked phases: wait for jobs without touching the state.

A fine-tuning job runs for minutes to hours on the service. Holding the state lock all that
time would block every other plan and apply of the project (a CI pipeline's next merge, a
colleague's `ftops plan`) for no reason: nothing is written while a job trains. So the apply
records everything it did, releases the lock, waits here (read-only: requests to the service,
progress to the reporter, nothing stored), then takes the lock back to record the outcomes and
to promote and prune (``ftops.workflow`` checks the state was not changed meanwhile).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait

from ftops.apply.errors import WaitStopped
from ftops.apply.progress import Reporter
from ftops.apply.waiting import WaitOptions, wait_for_job
from ftops.plan.observed import TERMINAL_JOB_STATUSES, ObservedJob
from ftops.plan.records import StateRecords
from ftops.provider import Provider

# Jobs polled at once. A poll is two small requests at a growing interval (at most every 15 s
# per job), so even the cap keeps well under the service's rate limits.
MAX_WAIT_THREADS = 16


def unfinished_jobs(records: StateRecords) -> dict[str, str]:
    """The state's jobs not recorded as finished: address -> job id."""
    return {
        f"jobs.{name}": record.job_id
        for name, record in sorted(records.jobs.items())
        if record.status not in TERMINAL_JOB_STATUSES
    }


def wait_for_all(
    provider: Provider, jobs: Mapping[str, str], reporter: Reporter, options: WaitOptions,
    must_succeed: Collection[str] = (),
) -> dict[str, ObservedJob]:
    """Wait, in parallel, until every job (address -> id) has ended; returns how each ended.

    A job of ``must_succeed`` (one a promotion waits for) that ends otherwise dooms the apply,
    so the other waits end at once, as the executor ends them after a failure: the result then
    lacks the jobs still running (they keep running in the account). A failure to wait (e.g.
    ``--wait-timeout`` reached) ends the other waits too and is raised; so is Ctrl-C."""
    if not jobs:
        return {}
    stop = threading.Event()

    def one(address: str, job_id: str) -> ObservedJob | None:
        job = provider.retrieve_job(job_id)
        try:
            if not job.is_terminal:
                job = wait_for_job(provider, address, job, reporter, options, stop)
        except WaitStopped as stopped:
            reporter.line(str(stopped))
            return None
        if address in must_succeed and job.status != "succeeded":
            stop.set()
        return job

    pool = ThreadPoolExecutor(max_workers=min(len(jobs), MAX_WAIT_THREADS), thread_name_prefix="ftops-wait")
    try:
        running: dict[Future[ObservedJob | None], str] = {pool.submit(one, a, i): a for a, i in jobs.items()}
        done, _ = wait(running, return_when=FIRST_EXCEPTION)
        for future in done:
            error = future.exception()
            if error is not None:
                raise error
        ended = {running[future]: future.result() for future in running}
        return {address: job for address, job in ended.items() if job is not None}
    finally:
        # On an error or Ctrl-C: end every other wait at once (WaitStopped), then return.
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
