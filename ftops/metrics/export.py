"""Write the merged table (result file rows + checkpoints) as CSV, and the whole report as JSON."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path
from typing import Any

from ftops.errors import UsageError
from ftops.metrics.model import JobMetrics
from ftops.metrics.summary import Summary

CSV_COLUMNS = (
    "step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy",
    "checkpoint", "full_valid_loss", "full_valid_mean_token_accuracy",
)


def temporary_beside(path: Path) -> tuple[int, str]:
    """A private temporary file in ``path``'s folder (so the final rename is atomic)."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        return tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise UsageError(f"{path}: cannot write ({error.strerror or error})") from error


def publish(temporary: str, path: Path) -> None:
    """Move a finished temporary file into place with the usual permissions (temporary files are
    created private; a chart or table is not a secret)."""
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise UsageError(f"{path}: cannot write ({error.strerror or error})") from error


def _cell(value: float | str | None) -> str:
    return "" if value is None else str(value)


def write_csv(metrics: JobMetrics, path: Path) -> None:
    """One row per step; the checkpoint columns are filled on the steps that have one.
    Written to a temporary file first, so a failure never leaves half a table."""
    by_step = {c.step: c for c in metrics.checkpoints}
    fd, temporary = temporary_beside(path)
    try:
        with open(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for row in metrics.steps:
                checkpoint = by_step.get(row.step)
                writer.writerow([
                    row.step, _cell(row.train_loss), _cell(row.train_accuracy), _cell(row.valid_loss),
                    _cell(row.valid_accuracy), _cell(checkpoint.model if checkpoint else None),
                    _cell(checkpoint.full_valid_loss if checkpoint else None),
                    _cell(checkpoint.full_valid_accuracy if checkpoint else None),
                ])
        publish(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def to_json(metrics: JobMetrics, summary: Summary) -> dict[str, Any]:
    return {
        "job_id": metrics.job_id,
        "address": metrics.address,
        "status": metrics.status,
        "base_model": metrics.base_model,
        "fine_tuned_model": metrics.fine_tuned_model,
        "summary": summary.to_json(),
        "steps": [
            {"step": r.step, "train_loss": r.train_loss, "train_accuracy": r.train_accuracy,
             "valid_loss": r.valid_loss, "valid_mean_token_accuracy": r.valid_accuracy}
            for r in metrics.steps
        ],
        "checkpoints": [
            {"id": c.id, "step": c.step, "model": c.model, "full_valid_loss": c.full_valid_loss,
             "full_valid_mean_token_accuracy": c.full_valid_accuracy}
            for c in metrics.checkpoints
        ],
    }
