"""The typed values of a job's training curves: one row per step, one per checkpoint."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StepMetrics:
    """One row of the job's result file (``step_metrics.csv``); a missing cell is None.

    Validation figures appear only on the steps where the service evaluated the
    validation file, so most rows of a long job have ``valid_loss`` None."""

    step: int
    train_loss: float | None
    train_accuracy: float | None
    valid_loss: float | None = None
    valid_accuracy: float | None = None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A model snapshot the service kept (the last epochs), with its full-validation figures."""

    id: str
    step: int
    model: str  # the checkpoint's model id, usable for chat like any fine-tuned model
    full_valid_loss: float | None = None
    full_valid_accuracy: float | None = None


@dataclass(frozen=True, slots=True)
class JobMetrics:
    """Everything ``ftops metrics`` shows about one job."""

    job_id: str
    address: str | None  # "jobs.NAME" when the job was found through the state
    status: str
    base_model: str
    fine_tuned_model: str | None
    steps: tuple[StepMetrics, ...]
    checkpoints: tuple[Checkpoint, ...]

    @property
    def label(self) -> str:
        return f"{self.address} ({self.job_id})" if self.address else self.job_id
