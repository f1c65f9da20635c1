"""How far a fine-tuning job has come: one frozen value built from the job and its newest events.

The adapter reads progress from the service's events into ``JobEvent.step``,
``total_steps`` and ``train_loss``, and an ETA into the job's ``estimated_finish``.
Both the live bars and the plain log lines, and ``ftops status``, read this value.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ftops.plan.observed import ObservedJob
from ftops.provider.types import JobEvent, JobPhase, phase_of

# Events fetched per poll: the newest metrics event is usually first, but the service puts
# checkpoint and status messages between them, so one is not always enough (still one request).
EVENTS_PER_POLL = 10


@dataclass(frozen=True, slots=True)
class JobProgress:
    status: str
    step: int | None = None
    total_steps: int | None = None
    train_loss: float | None = None
    estimated_finish: int | None = None  # unix seconds, while queued or running
    trained_tokens: int | None = None
    fine_tuned_model: str | None = None
    message: str | None = None  # the newest event's words
    error: str | None = None
    reported_phase: JobPhase | None = None  # the job's; left out, ``status`` read as a phase word

    @property
    def phase(self) -> JobPhase:
        return self.reported_phase if self.reported_phase is not None else phase_of(self.status)

    @property
    def fraction(self) -> float | None:
        if self.step is None or not self.total_steps:
            return None
        return min(1.0, max(0.0, self.step / self.total_steps))

    @property
    def steps_text(self) -> str:
        if self.step is None or not self.total_steps:
            return ""
        return f"{self.step}/{self.total_steps} steps"


def progress_of(job: ObservedJob, events: Sequence[JobEvent] = (),
                previous: JobProgress | None = None) -> JobProgress:
    """The job's progress from its newest events (newest first, as the service lists them).
    Without a metrics event among them, the step and loss of ``previous`` still hold."""
    step = previous.step if previous else None
    total = previous.total_steps if previous else None
    loss = previous.train_loss if previous else None
    for event in events:
        if event.step is None:
            continue
        step = event.step
        total = event.total_steps or total
        loss = event.train_loss
        break
    if job.phase is JobPhase.SUCCEEDED and total:
        step = total  # the last metrics event may fall short of the last step
    message = events[0].message if events else (previous.message if previous else None)
    return JobProgress(
        status=job.status,
        step=step,
        total_steps=total,
        train_loss=loss,
        estimated_finish=job.estimated_finish if not job.is_terminal else None,
        trained_tokens=job.trained_tokens,
        fine_tuned_model=job.fine_tuned_model,
        message=message,
        error=job.error.message if job.error else None,
        reported_phase=job.phase,
    )


def duration_text(seconds: float) -> str:
    """``45s``, ``4m 05s``, ``2h 07m``: short enough for a progress column."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def eta_text(estimated_finish: int | None, now: float | None = None, *, absolute: bool = False) -> str:
    """The time left until ``estimated_finish``; with ``absolute`` also the UTC clock time (logs)."""
    if estimated_finish is None:
        return ""
    now = time.time() if now is None else now
    left = estimated_finish - now
    relative = "any moment" if left < 1 else f"in {duration_text(left)}"
    if not absolute:
        return f"ETA {relative}"
    clock = datetime.fromtimestamp(estimated_finish, UTC).strftime("%H:%M:%S UTC")
    return f"ETA {clock} ({relative})"
