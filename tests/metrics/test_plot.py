"""The PNG, offline: a real image for an overfitting curve, written atomically."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftops.errors import UsageError
from ftops.metrics import JobMetrics, summarize
from ftops.metrics.export import write_csv
from ftops.metrics.model import Checkpoint
from ftops.metrics.plot import write_png

from .test_overfit import curves, falling, u_shape

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def job() -> JobMetrics:
    return JobMetrics(
        job_id="ftjob-demo", address="jobs.demo", status="succeeded", base_model="gpt-4o-mini",
        fine_tuned_model="ft:gpt-4o-mini:demo", steps=tuple(curves(falling(), u_shape(0.4))),
        checkpoints=(Checkpoint("ckpt", 50, "ft:gpt-4o-mini:demo:ckpt-step-50", 0.7, 0.6),),
    )


def test_png_of_an_overfitting_job(tmp_path: Path) -> None:
    target = tmp_path / "out.png"
    summary = summarize(job())
    assert summary.verdict.overfitting
    write_png(job(), summary, target)
    data = target.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]  # no temporary file left


def test_an_unwritable_target_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"missing/out.png: cannot write \(No such file or directory\)"):
        write_png(job(), summarize(job()), tmp_path / "missing" / "out.png")
    with pytest.raises(UsageError, match="cannot write"):
        write_csv(job(), tmp_path / "missing" / "out.csv")
    assert list(tmp_path.iterdir()) == []
