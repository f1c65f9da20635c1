"""``ftops status`` for people: rich tables on a terminal, plain aligned lines for logs and pipes.

Both show the same facts: per job its address, id, status, progress (step / total
steps, loss and ETA while it trains), trained tokens, fine-tuned model and the
latest event or error; per model name the id it points at, its base model and
the shutdown date.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ftops.apply.jobprogress import eta_text
from ftops.provider.types import JobPhase

if TYPE_CHECKING:
    from ftops.apply.status import JobStatus, ModelStatus

JOB_COLUMNS = ("job", "id", "status", "progress", "trained tokens", "model", "last event")
MODEL_COLUMNS = ("model name", "model id", "base model", "shutdown date")
_SHORT = frozenset({"job", "status", "trained tokens"})
_PHASE_STYLES = {JobPhase.SUCCEEDED: "green", JobPhase.FAILED: "red", JobPhase.CANCELLED: "yellow"}


def progress_text(job: JobStatus, now: float | None = None) -> str:
    if job.phase is JobPhase.SUCCEEDED:
        return "done"
    parts = []
    if job.step is not None and job.total_steps:
        parts.append(f"{job.step}/{job.total_steps} ({job.step / job.total_steps:.0%})")
    if job.train_loss is not None:
        parts.append(f"loss {job.train_loss:.4f}")
    parts.append(eta_text(job.estimated_finish, now))
    return " ".join(p for p in parts if p) or "-"


def job_cells(job: JobStatus, now: float | None = None) -> tuple[str, ...]:
    return (
        job.address,
        job.job_id,
        job.status,
        progress_text(job, now),
        f"{job.trained_tokens:,}" if job.trained_tokens else "-",
        job.model or "-",
        job.error or job.last_event or "",
    )


def model_line(model: ModelStatus) -> str:
    base = f" (base {model.base_model})" if model.base_model else ""
    shutdown = f", shuts down {model.shutdown_date}" if model.shutdown_date else ""
    gate = f", gate {model.gate}" if model.gate else ""
    deployed = f"; deployment {model.deployment.text()}" if model.deployment else ""
    return f"models.{model.name} -> {model.model_id}{base}{shutdown}{made_elsewhere(model)}{gate}{deployed}"


def made_elsewhere(model: ModelStatus) -> str:
    """Said of a model ftops did not create, which it never deletes."""
    return f" [{model.origin}: not created by ftops]" if model.origin in ("pinned", "imported") else ""


def _aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in rows]


def status_lines(jobs: Sequence[JobStatus], models: Sequence[ModelStatus],
                 now: float | None = None) -> list[str]:
    """Plain text: a header and one aligned line per job, then one line per model name."""
    now = time.time() if now is None else now
    lines = _aligned([JOB_COLUMNS, *(job_cells(j, now) for j in jobs)]) if jobs else []
    return lines + [model_line(m) for m in models]


def status_tables(jobs: Sequence[JobStatus], models: Sequence[ModelStatus],
                  now: float | None = None) -> list[Any]:
    """Rich tables (jobs, then model names), for a terminal."""
    from rich.table import Column, Table
    from rich.text import Text  # plain Text cells: an event's "[...]" is not rich markup

    now = time.time() if now is None else now
    tables = []
    if jobs:
        # Short columns keep their words on one line; ids and models fold whole (to be copied),
        # never cut to an ellipsis.
        columns = [Column(name, no_wrap=True) if name in _SHORT else Column(name, overflow="fold")
                   for name in JOB_COLUMNS]
        table = Table(*columns, title="Jobs", title_justify="left")
        for job in jobs:
            style = _PHASE_STYLES.get(job.phase, "cyan")
            cells = [Text(cell) for cell in job_cells(job, now)]
            cells[2].stylize(style)
            table.add_row(*cells)
        tables.append(table)
    if models:
        gated = any(model.gate for model in models)
        deployed = any(model.deployment for model in models)
        headers = (*MODEL_COLUMNS, "last gate verdict") if gated else MODEL_COLUMNS
        headers = (*headers, "deployment and its cost so far") if deployed else headers
        table = Table(*(Column(name, overflow="fold") for name in headers), title="Model names",
                      title_justify="left")
        for model in models:
            names: tuple[str, ...] = (f"models.{model.name}{made_elsewhere(model)}", model.model_id,
                                      model.base_model or "-", model.shutdown_date or "-")
            if gated:
                names = (*names, model.gate or "-")
            if deployed:
                names = (*names, model.deployment.text() if model.deployment else "-")
            table.add_row(*(Text(name) for name in names))
        tables.append(table)
    return tables
