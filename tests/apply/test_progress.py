"""Progress output: plain lines for logs (changes only, keys redacted), rich bars on a terminal."""

from __future__ import annotations

import io

import pytest

from ftops.apply.progress import PlainReporter, RichReporter, human_bytes


def test_plain_lines_say_each_change_once_and_hide_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-SECRETSECRET-progress")
    stream = io.StringIO()
    reporter = PlainReporter(stream)
    advance = reporter.transfer("datasets.a", 2048)
    advance(1024)
    reporter.job_update("jobs.a", "running", "Step 1/10")
    reporter.job_update("jobs.a", "running", "Step 1/10")
    reporter.job_update("jobs.a", "succeeded", "")
    reporter.line("failed with key sk-test-SECRETSECRET-progress")
    lines = stream.getvalue().splitlines()
    assert lines == [
        "datasets.a: uploading 2.0 KB",
        "jobs.a: running - Step 1/10",
        "jobs.a: succeeded",
        "failed with key [REDACTED]",
    ]


def test_rich_reporter_runs_its_bars_to_the_end() -> None:
    reporter = RichReporter()
    advance = reporter.transfer("datasets.a", 100)
    advance(60)
    reporter.transfer_done("datasets.a")
    reporter.job_update("jobs.a", "queued", "")
    reporter.job_update("jobs.a", "running", "Step 2/4")
    reporter.line("done")
    reporter.close()
    tasks = {t.description: t for t in reporter._progress.tasks}
    assert tasks["upload datasets.a"].completed == 100
    assert "jobs.a: running - Step 2/4" in tasks


def test_human_bytes() -> None:
    sizes = (12, 2048, 5 * 1024**2, 3 * 1024**3)
    assert [human_bytes(n) for n in sizes] == ["12 B", "2.0 KB", "5.0 MB", "3.0 GB"]
