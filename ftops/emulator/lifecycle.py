"""A job's simulated run, decided once at creation and replayed from timestamps.

Nothing runs in the background. At creation the emulator fixes a ``JobPlan``
(phase lengths in simulated seconds, steps, tokens, the model name, or the
reason the training file will be refused). A job's position is then simply
``(now - created_at - time spent paused) * speed`` simulated seconds, so a job
moves on across restarts and between separate processes, and a timeline of
events is a pure function of the plan.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass, field
from typing import Any

# Phase lengths in simulated seconds at speed 1.0: minutes, like the service.
VALIDATE_S = 15.0
QUEUE_S = 45.0
STEP_S = 3.0
MIN_RUN_S = 120.0
PAUSING_S = 5.0
MAX_METRIC_EVENTS = 50
CHECKPOINT_EPOCHS = 3  # the service keeps checkpoints of the last three epochs


@dataclass(frozen=True, slots=True)
class Failure:
    code: str
    message: str
    param: str | None


@dataclass(frozen=True, slots=True)
class JobPlan:
    fine_tuned_model: str
    n_epochs: int
    batch_size: int
    learning_rate_multiplier: float
    total_steps: int
    trained_tokens: int
    has_validation: bool
    seed: int
    failure: Failure | None = None
    validate_s: float = VALIDATE_S
    queue_s: float = QUEUE_S
    run_s: float = MIN_RUN_S

    @property
    def run_start(self) -> float:
        return self.validate_s + self.queue_s

    @property
    def end(self) -> float:
        return self.validate_s if self.failure else self.run_start + self.run_s

    def step_time(self, step: int) -> float:
        return self.run_start + self.run_s * step / self.total_steps

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(data: dict[str, Any]) -> JobPlan:
        failure = data.get("failure")
        return JobPlan(**{**data, "failure": Failure(**failure) if failure else None})


def make_plan(
    *,
    fine_tuned_model: str,
    examples: int,
    tokens_per_epoch: int,
    n_epochs: int,
    batch_size: int,
    learning_rate_multiplier: float,
    has_validation: bool,
    seed: int,
    failure: Failure | None,
) -> JobPlan:
    steps = max(1, math.ceil(examples / batch_size) * n_epochs) if not failure else 1
    return JobPlan(
        fine_tuned_model=fine_tuned_model,
        n_epochs=n_epochs,
        batch_size=batch_size,
        learning_rate_multiplier=learning_rate_multiplier,
        total_steps=steps,
        trained_tokens=tokens_per_epoch * n_epochs,
        has_validation=has_validation,
        seed=seed,
        failure=failure,
        run_s=max(MIN_RUN_S, steps * STEP_S),
    )


def phase_at(plan: JobPlan, v: float) -> str:
    """The service status at simulated second ``v``, ignoring pause and cancel."""
    if v < plan.validate_s:
        return "validating_files"
    if plan.failure:
        return "failed"
    if v < plan.run_start:
        return "queued"
    if v < plan.end:
        return "running"
    return "succeeded"


def step_metrics(plan: JobPlan, step: int) -> dict[str, float]:
    """Plausible, deterministic training curves: loss falls, accuracy rises, with noise."""
    progress = step / plan.total_steps
    noise = random.Random(f"{plan.seed}:{step}")
    train_loss = 2.2 * math.exp(-3.0 * progress) + 0.05 + noise.uniform(-0.08, 0.08)
    metrics = {
        "step": float(step),
        "train_loss": round(max(train_loss, 0.01), 4),
        "train_mean_token_accuracy": round(min(0.99, 0.45 + 0.5 * progress + noise.uniform(-0.03, 0.03)), 4),
    }
    if plan.has_validation:
        valid_loss = 2.3 * math.exp(-2.5 * progress) + 0.12 + noise.uniform(-0.1, 0.1)
        metrics["valid_loss"] = round(max(valid_loss, 0.02), 4)
        metrics["valid_mean_token_accuracy"] = round(min(0.98, 0.42 + 0.45 * progress), 4)
    return metrics


@dataclass(frozen=True, slots=True)
class Moment:
    """Something that happens at simulated second ``v``: an event, and maybe a checkpoint."""

    v: float
    message: str
    level: str = "info"
    type: str = "message"
    data: dict[str, Any] = field(default_factory=dict)
    checkpoint_step: int | None = None


def metric_steps(plan: JobPlan) -> list[int]:
    every = max(1, math.ceil(plan.total_steps / MAX_METRIC_EVENTS))
    steps = list(range(every, plan.total_steps + 1, every))
    if not steps or steps[-1] != plan.total_steps:
        steps.append(plan.total_steps)
    return steps


def checkpoint_steps(plan: JobPlan) -> list[int]:
    per_epoch = plan.total_steps / plan.n_epochs
    first = max(1, plan.n_epochs - CHECKPOINT_EPOCHS + 1)
    return [round(per_epoch * epoch) for epoch in range(first, plan.n_epochs + 1)]


def timeline(plan: JobPlan, job_id: str, training_file: str) -> list[Moment]:
    """Every event of the job after its creation event, in order."""
    moments = [Moment(0.0, f"Validating training file: {training_file}")]
    if plan.failure:
        return [*moments, Moment(plan.validate_s, plan.failure.message, level="error")]
    moments.append(Moment(plan.validate_s, "Files validated, moving job to queued state"))
    moments.append(Moment(plan.run_start, f"Fine-tuning job started: {job_id}"))
    checkpoints = set(checkpoint_steps(plan))
    for step in sorted(set(metric_steps(plan)) | checkpoints):
        metrics = step_metrics(plan, step)
        data = {**metrics, "step": step, "total_steps": plan.total_steps}
        message = f"Step {step}/{plan.total_steps}: training loss={metrics['train_loss']:.4f}"
        moments.append(
            Moment(
                plan.step_time(step),
                message,
                type="metrics",
                data=data,
                checkpoint_step=step if step in checkpoints else None,
            )
        )
    moments.append(Moment(plan.end, f"New fine-tuned model created: {plan.fine_tuned_model}"))
    moments.append(Moment(plan.end, "The job has successfully completed"))
    return moments


def result_csv(plan: JobPlan) -> str:
    """The result file: one row per step, as the service's ``step_metrics.csv``."""
    rows = ["step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"]
    for step in range(1, plan.total_steps + 1):
        m = step_metrics(plan, step)
        valid = f"{m['valid_loss']},{m['valid_mean_token_accuracy']}" if "valid_loss" in m else ","
        rows.append(f"{step},{m['train_loss']},{m['train_mean_token_accuracy']},{valid}")
    return "\n".join(rows) + "\n"
