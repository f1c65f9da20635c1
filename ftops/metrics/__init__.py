"""Training curves of a fine-tuning job: read, summarize, judge overfitting, chart, export.

    metrics = load_job_metrics(Settings(), "jobs.chunsik")
    summary = summarize(metrics)
    print(loss_chart(metrics.steps)); print(summary.verdict.message)

``ftops metrics`` is a thin layer over these functions.
"""

from __future__ import annotations

from ftops.metrics.chart import loss_chart
from ftops.metrics.load import load_job_metrics, resolve_job_id
from ftops.metrics.model import Checkpoint, JobMetrics, StepMetrics
from ftops.metrics.overfit import OverfitVerdict, detect_overfitting
from ftops.metrics.resultfile import ResultFileError, parse_result_file
from ftops.metrics.summary import Summary, render_summary, summarize

__all__ = [
    "Checkpoint",
    "JobMetrics",
    "OverfitVerdict",
    "ResultFileError",
    "StepMetrics",
    "Summary",
    "detect_overfitting",
    "load_job_metrics",
    "loss_chart",
    "parse_result_file",
    "render_summary",
    "resolve_job_id",
    "summarize",
]
