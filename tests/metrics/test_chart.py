"""The terminal chart and the summary text."""

from __future__ import annotations

import pytest

from ftops.metrics import JobMetrics, StepMetrics, loss_chart, render_summary, summarize
from ftops.metrics.model import Checkpoint


def rows(count: int, with_valid: bool = True) -> list[StepMetrics]:
    return [StepMetrics(i, 2.0 - i / count, 0.5, (2.2 - i / count) if with_valid else None)
            for i in range(1, count + 1)]


def test_chart_has_the_size_asked_and_both_series() -> None:
    lines = loss_chart(rows(300), width=40, height=10).splitlines()
    grid = lines[:10]
    assert all(len(line) == len(grid[0]) for line in grid)
    assert all(len(line.split("|", 1)[1]) == 40 for line in grid)
    body = "\n".join(grid)
    assert "*" in body and "o" in body
    assert lines[11].split() == ["step", "1", "300"]
    assert "validation loss" in lines[12]
    # the top row is labelled with the highest column mean (valid loss of steps 1-7: 2.187),
    # the bottom one with the lowest (train loss of the last steps, about 1.012)
    assert float(grid[0].split("|")[0]) == pytest.approx(2.2 - 4 / 300, abs=1e-3)
    assert float(grid[-1].split("|")[0]) == pytest.approx(2.0 - 296.5 / 300, abs=2e-3)


def test_chart_falls_from_top_left_to_bottom_right() -> None:
    grid = loss_chart(rows(50, with_valid=False), width=50, height=8).splitlines()[:8]
    assert grid[0].split("|")[1][0] == "*"
    assert grid[-1].split("|")[1][-1] == "*"
    assert "validation" not in loss_chart(rows(5, with_valid=False))


def test_short_series_use_one_column_per_step_and_empty_is_said() -> None:
    assert len(loss_chart(rows(7)).splitlines()[0].split("|")[1]) == 7
    assert loss_chart([]) == "(no loss values to chart)"
    assert loss_chart([StepMetrics(1, None, None)]) == "(no loss values to chart)"


def test_summary_names_final_and_best_figures_and_checkpoints() -> None:
    job = JobMetrics(
        job_id="ftjob-1", address="jobs.x", status="succeeded", base_model="gpt-4o-mini",
        fine_tuned_model="ft:gpt-4o-mini:x", steps=tuple(rows(20)),
        checkpoints=(Checkpoint("ckpt-1", 10, "ft:gpt-4o-mini:x:ckpt-step-10", 1.5, 0.6),),
    )
    summary = summarize(job)
    assert summary.final_train_loss is not None and summary.final_train_loss.step == 20
    assert summary.best_valid_loss is not None and summary.best_valid_loss.value == pytest.approx(1.2)
    text = render_summary(job, summary)
    assert "jobs.x (ftjob-1): succeeded, 20 steps" in text
    assert "ckpt-step-10  full validation loss 1.5000" in text
    assert text.splitlines()[-1] == summary.verdict.message
