"""What an apply or a wait tells the person watching: live bars on a terminal, plain lines otherwise.

On a terminal (``RichReporter``): a bar per upload (bytes) and a bar per job
(step / total steps, latest training loss, ETA from the job's
``estimated_finish``), redrawn in place. Plain lines (``PlainReporter``) are for
CI logs, pipes and ``--no-color``/``NO_COLOR``: nothing is rewritten in place, no
colour, and a job gets a line only when something worth a line changed (its
status, or another tenth of its steps), so a job polled for hours does not
flood the log. Every line goes through ``redact``.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, TextIO

from ftops.apply.jobprogress import JobProgress, eta_text
from ftops.provider.types import JobPhase
from ftops.secrets import redact

Advance = Callable[[int], None]


class Reporter(Protocol):
    def line(self, text: str) -> None: ...
    def transfer(self, address: str, total: int) -> Advance: ...
    def transfer_done(self, address: str) -> None: ...
    def job_update(self, address: str, progress: JobProgress) -> None: ...
    def close(self) -> None: ...


def _loss_text(progress: JobProgress) -> str:
    return f"loss {progress.train_loss:.4f}" if progress.train_loss is not None else ""


def job_line(address: str, progress: JobProgress, now: float | None = None) -> str:
    """One plain line for a job: ``jobs.a: running  12/90 steps (13%)  loss 1.2345  ETA ...``."""
    if progress.error:
        return f"{address}: {progress.status} - {progress.error}"
    parts = [f"{address}: {progress.status}"]
    if progress.steps_text:
        fraction = progress.fraction or 0.0
        parts.append(f"{progress.steps_text} ({fraction:.0%})")
    parts.append(_loss_text(progress))
    if progress.phase is JobPhase.SUCCEEDED:
        if progress.trained_tokens:
            parts.append(f"{progress.trained_tokens:,} tokens trained")
        if progress.fine_tuned_model:
            parts.append(f"model {progress.fine_tuned_model}")
    else:
        parts.append(eta_text(progress.estimated_finish, now, absolute=True))
        if not progress.steps_text and progress.message:
            parts.append(f"- {progress.message}")
    return "  ".join(p for p in parts if p)


def _line_key(progress: JobProgress) -> tuple[str, int | None, str | None]:
    """What must change for a plain line to be worth printing: the status, the tenth of the steps."""
    fraction = progress.fraction
    return progress.status, None if fraction is None else int(fraction * 10), progress.error


class PlainReporter:
    def __init__(self, stream: TextIO | None = None, clock: Callable[[], float] = time.time) -> None:
        self._stream = stream or sys.stdout
        self._clock = clock
        self._lock = threading.Lock()
        self._last_job: dict[str, tuple[str, int | None, str | None]] = {}

    def line(self, text: str) -> None:
        with self._lock:
            self._stream.write(redact(text) + "\n")
            self._stream.flush()

    def transfer(self, address: str, total: int) -> Advance:
        self.line(f"{address}: uploading {human_bytes(total)}")
        return lambda _n: None

    def transfer_done(self, address: str) -> None:
        pass

    def job_update(self, address: str, progress: JobProgress) -> None:
        key = _line_key(progress)
        with self._lock:
            if self._last_job.get(address) == key:
                return
            self._last_job[address] = key
        self.line(job_line(address, progress, self._clock()))

    def close(self) -> None:
        pass


class RichReporter:
    """A live display of two groups of bars: uploads (bytes) and jobs (steps)."""

    def __init__(self, console: Any = None) -> None:
        from rich.console import Console, Group
        from rich.live import Live
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._console = console or Console()
        self._uploads = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeElapsedColumn(),
            console=self._console,
        )
        self._jobs = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.fields[status]}", style="cyan"),
            BarColumn(),
            TextColumn("{task.fields[steps]}"),
            TextColumn("{task.fields[loss]}"),
            _eta_column(),
            console=self._console,
        )
        self._live = Live(Group(self._uploads, self._jobs), console=self._console,
                          refresh_per_second=8, transient=False)
        self._tasks: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._live.start()

    def line(self, text: str) -> None:
        self._live.console.print(redact(text), markup=False, highlight=False)

    def transfer(self, address: str, total: int) -> Advance:
        with self._lock:
            task = self._uploads.add_task(f"upload {address}", total=max(total, 1))
            self._tasks["upload:" + address] = task
        return lambda n: self._uploads.advance(task, n)

    def transfer_done(self, address: str) -> None:
        with self._lock:
            task = self._tasks.pop("upload:" + address, None)
        if task is not None:
            self._uploads.update(task, completed=self._uploads.tasks[task].total)

    def job_update(self, address: str, progress: JobProgress) -> None:
        status = progress.status + (f": {progress.error}" if progress.error else "")
        fields: dict[str, Any] = {
            "status": redact(status),
            "steps": progress.steps_text,
            "loss": _loss_text(progress),
            "finish": progress.estimated_finish,
        }
        # No total yet (validating, queued): the bar pulses until the first metrics event.
        total = progress.total_steps or None
        with self._lock:
            task = self._tasks.get("job:" + address)
            if task is None:
                task = self._jobs.add_task(address, total=total, completed=progress.step or 0, **fields)
                self._tasks["job:" + address] = task
                return
        self._jobs.update(task, total=total, completed=progress.step or 0, **fields)
        if progress.phase.is_terminal:
            self._jobs.stop_task(task)

    def close(self) -> None:
        self._live.stop()


def _eta_column() -> Any:
    """The time left, worked out at each redraw (8 a second) rather than at each poll: on the
    service a job is polled every 15 s, and a countdown frozen between polls would be wrong."""
    from rich.progress import ProgressColumn, Task
    from rich.text import Text

    class EtaColumn(ProgressColumn):
        def render(self, task: Task) -> Text:
            return Text(eta_text(task.fields.get("finish")))

    return EtaColumn()


def make_reporter(interactive: bool) -> Reporter:
    return RichReporter() if interactive else PlainReporter()


def human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
