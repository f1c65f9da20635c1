"""Wait for a job to end, showing its status and latest event as it goes.

Polls with a growing interval (a job takes minutes to hours on the service; the
emulator is much faster, so the first polls are quick). Each poll is one retrieve
plus one events listing of the newest events (step, total steps and loss come from the
newest ``metrics`` event; the ETA from the job's ``estimated_finish``), and the end one
more events listing, so the final line shows the last step's loss.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ftops.apply.errors import WaitStopped
from ftops.apply.jobprogress import EVENTS_PER_POLL, progress_of
from ftops.apply.progress import Reporter
from ftops.errors import PlanError
from ftops.plan.observed import ObservedJob
from ftops.provider import Provider


@dataclass(frozen=True)
class WaitOptions:
    first_interval: float = 0.25
    max_interval: float = 15.0
    timeout: float | None = None  # seconds; None waits as long as the job runs
    sleep: Callable[[float], None] = field(default=time.sleep)
    clock: Callable[[], float] = field(default=time.monotonic)


def wait_for_job(
    provider: Provider, address: str, job: ObservedJob, reporter: Reporter, options: WaitOptions,
    stop: threading.Event | None = None,
) -> ObservedJob:
    """Poll until the job is terminal; returns its final state. Setting ``stop`` (Ctrl-C in the
    main thread) ends the wait at once; the job keeps running in the account."""
    start = options.clock()
    interval = options.first_interval
    progress = None
    while not job.is_terminal:
        progress = progress_of(job, provider.job_events(job.id, limit=EVENTS_PER_POLL), progress)
        reporter.job_update(address, progress)
        if options.timeout is not None and options.clock() - start > options.timeout:
            raise PlanError(
                f"{address}: job {job.id} still {job.status} after {options.timeout:.0f}s of waiting",
                hint="Run `ftops wait` or `ftops apply --wait` again later; the job keeps running.",
            )
        if stop is None:
            options.sleep(interval)
        elif stop.wait(interval):
            raise WaitStopped(f"{address}: stopped waiting for job {job.id} ({job.status}); it keeps running")
        interval = min(interval * 1.5, options.max_interval, provider.capabilities.max_poll_interval_s)
        job = provider.retrieve_job(job.id)
    # One more events request at the end: the last poll may predate the job's last metrics
    # event, and the final line would show an earlier step's loss.
    last_events = provider.job_events(job.id, limit=EVENTS_PER_POLL)
    reporter.job_update(address, progress_of(job, last_events, progress))
    return job
