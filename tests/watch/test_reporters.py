"""The two reporters: plain lines for logs (a line only when something changed, keys redacted),
live bars on a terminal (step counts, loss, ETA)."""

from __future__ import annotations

import io
import time
from dataclasses import replace

import pytest

from ftops.apply.jobprogress import JobProgress
from ftops.apply.progress import PlainReporter, RichReporter, human_bytes, job_line

NOW = 1_000_000.0


def running(step: int | None, total: int | None = 180, loss: float | None = 0.5) -> JobProgress:
    return JobProgress(status="running", step=step, total_steps=total if step is not None else None,
                       train_loss=loss if step is not None else None, estimated_finish=int(NOW) + 245)


def test_plain_lines_come_only_when_the_status_or_a_tenth_of_the_steps_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-SECRETSECRET-progress")
    stream = io.StringIO()
    reporter = PlainReporter(stream, clock=lambda: NOW)
    reporter.transfer("datasets.a", 2048)(1024)
    polls = [
        JobProgress(status="validating_files", message="Validating training file: file-1"),
        JobProgress(status="validating_files", message="still validating"),  # same status: no line
        JobProgress(status="queued", estimated_finish=int(NOW) + 300),
        running(None),
        running(1), running(5), running(17),  # all in the first tenth: one line
        running(18, loss=0.4), running(30),  # the second tenth
        running(175, loss=0.1),
        JobProgress(status="succeeded", step=180, total_steps=180, train_loss=0.1, trained_tokens=10_140,
                    fine_tuned_model="ft:gpt-4o-mini:org:a:1"),
    ]
    for progress in polls:
        reporter.job_update("jobs.a", progress)
    reporter.line("failed with key sk-test-SECRETSECRET-progress")
    assert stream.getvalue().splitlines() == [
        "datasets.a: uploading 2.0 KB",
        "jobs.a: validating_files  - Validating training file: file-1",
        "jobs.a: queued  ETA 13:51:40 UTC (in 5m 00s)",
        "jobs.a: running  ETA 13:50:45 UTC (in 4m 05s)",
        "jobs.a: running  1/180 steps (1%)  loss 0.5000  ETA 13:50:45 UTC (in 4m 05s)",
        "jobs.a: running  18/180 steps (10%)  loss 0.4000  ETA 13:50:45 UTC (in 4m 05s)",
        "jobs.a: running  175/180 steps (97%)  loss 0.1000  ETA 13:50:45 UTC (in 4m 05s)",
        "jobs.a: succeeded  180/180 steps (100%)  loss 0.1000  10,140 tokens trained  "
        "model ft:gpt-4o-mini:org:a:1",
        "failed with key [REDACTED]",
    ]


def test_a_long_job_polled_many_times_gets_at_most_a_line_per_tenth() -> None:
    stream = io.StringIO()
    reporter = PlainReporter(stream, clock=lambda: NOW)
    for step in range(1, 5001):  # e.g. a poll every 15 s for hours
        reporter.job_update("jobs.big", running(step, total=5000))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11  # 0%..9% tenths and 100%
    assert len(set(lines)) == len(lines)


def test_jobs_are_tracked_apart_and_a_failure_says_why() -> None:
    stream = io.StringIO()
    reporter = PlainReporter(stream, clock=lambda: NOW)
    reporter.job_update("jobs.a", running(10))
    reporter.job_update("jobs.b", running(10))
    reporter.job_update("jobs.b", JobProgress(status="failed", error="invalid_training_file: line 3"))
    assert stream.getvalue().splitlines()[1:] == [
        "jobs.b: running  10/180 steps (6%)  loss 0.5000  ETA 13:50:45 UTC (in 4m 05s)",
        "jobs.b: failed - invalid_training_file: line 3",
    ]
    assert job_line("jobs.c", JobProgress(status="cancelled")) == "jobs.c: cancelled"


def test_the_live_display_draws_a_bar_per_job_with_steps_loss_and_eta() -> None:
    from rich.console import Console

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=140, color_system=None)
    reporter = RichReporter(console)
    advance = reporter.transfer("datasets.a", 100)
    advance(60)
    reporter.transfer_done("datasets.a")
    reporter.job_update("jobs.a", JobProgress(status="queued"))
    reporter.job_update("jobs.a", replace(running(90), estimated_finish=int(time.time()) + 245))
    reporter._live.refresh()  # the display redraws 8 times a second; draw this state now
    reporter.line("a line above the bars")
    reporter.job_update("jobs.a", JobProgress(status="succeeded", step=180, total_steps=180, train_loss=0.1))
    reporter.close()
    drawn = screen.getvalue()
    assert "a line above the bars" in drawn
    assert "upload datasets.a" in drawn and "100/100 bytes" in drawn
    assert "90/180 steps" in drawn and "loss 0.5000" in drawn and "ETA in 4m" in drawn
    assert "180/180 steps" in drawn and "succeeded" in drawn
    assert "━" in drawn  # the bar itself


def test_human_bytes() -> None:
    sizes = (12, 2048, 5 * 1024**2, 3 * 1024**3)
    assert [human_bytes(n) for n in sizes] == ["12 B", "2.0 KB", "5.0 MB", "3.0 GB"]
