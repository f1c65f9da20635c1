"""What every benchmark returns: labelled rows for people, figures for machines, and the timing
helpers they share (medians of several runs, since the machine is shared and noisy)."""

from __future__ import annotations

import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Report:
    """One benchmark's result. ``figures`` holds every number shown (machine-readable, in the
    JSON under ``bench/results/``); ``rows`` say them in words, in order."""

    name: str
    title: str
    command: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    goals: list[tuple[str, bool | None]] = field(default_factory=list)  # (goal, met; None = n/a)
    notes: list[str] = field(default_factory=list)
    load_before: float = field(default_factory=lambda: os.getloadavg()[0])
    load_after: float | None = None

    def row(self, label: str, text: str, **figures: Any) -> None:
        self.rows.append((label, text))
        self.figures.update(figures)

    def goal(self, text: str, met: bool | None) -> None:
        self.goals.append((text, met))

    def finish(self) -> Report:
        self.load_after = os.getloadavg()[0]
        return self

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "command": self.command,
            "figures": self.figures,
            "goals": [{"goal": g, "met": met} for g, met in self.goals],
            "rows": [{"label": label, "value": text} for label, text in self.rows],
            "notes": self.notes,
            "load_average": {"before": round(self.load_before, 2),
                             "after": round(self.load_after or 0.0, 2)},
            "machine": machine(),
        }

    def text(self) -> str:
        lines = [f"== {self.title} ==", f"   ({self.command})"]
        width = max((len(label) for label, _ in self.rows), default=0)
        lines += [f"  {label:<{width}}  {text}" for label, text in self.rows]
        lines += [f"  goal: {g}: {_verdict(met)}" for g, met in self.goals]
        lines += [f"  note: {n}" for n in self.notes]
        lines.append(f"  load average {self.load_before:.2f} before, {self.load_after or 0.0:.2f} after")
        return "\n".join(lines)

    def markdown(self) -> str:
        lines = [f"### {self.title}", "", f"`{self.command}`", "", "| measure | result |", "|---|---|"]
        lines += [f"| {label} | {text} |" for label, text in self.rows]
        if self.goals:
            lines += ["", *(f"- goal: {g}: **{_verdict(met)}**" for g, met in self.goals)]
        if self.notes:
            lines += ["", *(f"- {n}" for n in self.notes)]
        lines += ["", f"Load average {self.load_before:.2f} before, {self.load_after or 0.0:.2f} after.", ""]
        return "\n".join(lines)


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "NOT met", None: "not measured"}[met]


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def timed(action: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def median_time(repeat: int, action: Callable[[], object]) -> tuple[float, list[float]]:
    """Median wall seconds of ``repeat`` runs, and every sample."""
    samples = [timed(action)[0] for _ in range(repeat)]
    return statistics.median(samples), samples


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB.

    On Linux, VmHWM (the high-water mark of this program's own address space): ru_maxrss is not
    used there because it carries over the parent's resident size across fork and exec, so a
    child started by a big benchmark runner would report the runner's memory."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    divisor = 1024 * 1024 if sys.platform == "darwin" else 1024  # KiB on Linux, bytes on macOS
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / divisor


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:,.1f} ms"
