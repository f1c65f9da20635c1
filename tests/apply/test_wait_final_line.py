"""The line a wait prints when a job ends shows the job's last loss, not an earlier poll's
(issue 17: the final "succeeded" line showed an earlier step's loss)."""

from __future__ import annotations

import time
from collections.abc import Callable

from ftops.apply import WaitOptions
from ftops.apply.waiting import wait_for_job
from ftops.plan.records import read_records

from .test_executor import Harness, change, create_job, harness_factory

__all__ = ["harness_factory"]


def test_the_succeeded_line_shows_the_last_loss(harness_factory: Callable[..., Harness]) -> None:
    h = harness_factory(speed=20.0)  # seconds per job: it cannot end before the first poll
    assert h.execute(change(h.dataset("train", "cats")), change(create_job("j", "train"), "datasets.train"))
    job = h.provider.retrieve_job(read_records(h.journal.snapshot).jobs["j"].job_id)
    assert not job.is_terminal

    def until_the_job_ends(_interval: float) -> None:
        # One poll happens before the job ends and none after it, so only a fetch at the end
        # can know the last step's loss.
        while not h.provider.retrieve_job(job.id).is_terminal:
            time.sleep(0.02)

    ended = wait_for_job(h.provider, "jobs.j", job, h.reporter(), WaitOptions(sleep=until_the_job_ends))
    assert ended.status == "succeeded"
    newest = next(e for e in h.provider.job_events(job.id, limit=10) if e.step is not None)  # a metrics event
    last_loss = newest.train_loss
    assert last_loss is not None
    final = [line for line in h.lines if line.startswith("jobs.j: succeeded")]
    assert len(final) == 1
    assert f"loss {last_loss:.4f}" in final[0], (final, h.lines)
