"""What an apply tells the person watching: rich progress bars on a terminal, plain lines otherwise.

Plain lines are for CI logs and pipes: one line per event, nothing rewritten in
place, no colour. Every line goes through ``redact``.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any, Protocol, TextIO

from ftops.secrets import redact

Advance = Callable[[int], None]


class Reporter(Protocol):
    def line(self, text: str) -> None: ...
    def transfer(self, address: str, total: int) -> Advance: ...
    def transfer_done(self, address: str) -> None: ...
    def job_update(self, address: str, status: str, detail: str) -> None: ...
    def close(self) -> None: ...


class PlainReporter:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout
        self._lock = threading.Lock()
        self._last_job: dict[str, tuple[str, str]] = {}

    def line(self, text: str) -> None:
        with self._lock:
            self._stream.write(redact(text) + "\n")
            self._stream.flush()

    def transfer(self, address: str, total: int) -> Advance:
        self.line(f"{address}: uploading {human_bytes(total)}")
        return lambda _n: None

    def transfer_done(self, address: str) -> None:
        pass

    def job_update(self, address: str, status: str, detail: str) -> None:
        # Only changes are worth a line in a log.
        if self._last_job.get(address) == (status, detail):
            return
        self._last_job[address] = (status, detail)
        self.line(f"{address}: {status}" + (f" - {detail}" if detail else ""))

    def close(self) -> None:
        pass


class RichReporter:
    """Progress bars for uploads, a live status line per job."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._console = Console()
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeElapsedColumn(),
            console=self._console,
            transient=False,
        )
        self._tasks: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._progress.start()

    def line(self, text: str) -> None:
        self._progress.console.print(redact(text), markup=False, highlight=False)

    def transfer(self, address: str, total: int) -> Advance:
        with self._lock:
            task = self._progress.add_task(f"upload {address}", total=max(total, 1))
            self._tasks[address] = task
        return lambda n: self._progress.advance(task, n)

    def transfer_done(self, address: str) -> None:
        with self._lock:
            task = self._tasks.pop(address, None)
        if task is not None:
            self._progress.update(task, completed=self._progress.tasks[task].total)

    def job_update(self, address: str, status: str, detail: str) -> None:
        key = "job:" + address
        description = redact(f"{address}: {status}" + (f" - {detail}" if detail else ""))
        with self._lock:
            task = self._tasks.get(key)
            if task is None:
                self._tasks[key] = self._progress.add_task(description, total=None)
                return
        self._progress.update(task, description=description)

    def close(self) -> None:
        self._progress.stop()


def make_reporter(interactive: bool) -> Reporter:
    return RichReporter() if interactive else PlainReporter()


def human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
