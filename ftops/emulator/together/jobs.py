"""Together's view of a job's simulated run: statuses, events, checkpoints and the job object.

The run itself is the emulator's neutral ``lifecycle.JobPlan`` (checking the
files, waiting in the queue, training steps, on the job's clock and speed);
this module renders it in Together's terms, and adds what Together does after
training: ``compressing`` and ``uploading`` the model. A bad training file ends
the job in ``error`` once its check is done (the SDK also knows ``user_error``,
which the published spec's status enum lacks). A cancel moves the job to
``cancel_requested`` and, a few simulated seconds later, ``cancelled``.
Everything is computed from stored timestamps, so nothing needs a writer and
a restart loses nothing.
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ftops.emulator.apierrors import ApiError
from ftops.emulator.lifecycle import JobPlan

COMPRESS_S = 10.0
UPLOAD_S = 10.0
CANCEL_S = 5.0  # from cancel_requested to cancelled
TERMINAL = frozenset({"cancelled", "error", "completed"})
USER_ID = "user_ftops_emulator"
OWNER_ADDRESS = "emulator@ftops.invalid"


def iso(timestamp: float) -> str:
    """Together's timestamps: ISO-8601 in UTC with milliseconds, like ``2023-05-17T17:35:45.123Z``."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def job_not_found(job_id: str) -> ApiError:
    return ApiError(404, f"Fine-tune job {job_id} not found.", param="id", code="not_found")


@dataclass(frozen=True, slots=True)
class Event:
    v: float  # simulated second
    type: str  # FinetuneEventType, lowercase as in the spec
    message: str
    level: str = "info"
    step: int = 0
    checkpoint_path: str = ""
    model_path: str = ""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    v: float
    step: int
    kind: str  # "Intermediate" | "Final"
    path: str


@dataclass(frozen=True, slots=True)
class TogetherJob:
    """One stored job, seen at one moment (``v``, its simulated second). Holds no connection."""

    id: str
    body: dict[str, Any]  # the accepted request, normalised (see fine_tunes._record)
    plan: JobPlan
    created_at: float
    speed: float
    v: float
    cancel_v: float | None  # the simulated second at which cancel was requested

    @staticmethod
    def from_row(row: sqlite3.Row, now: float) -> TogetherJob:
        created_at, speed = float(row["created_at"]), float(row["speed"])
        cancelled = row["cancelled_at"]
        return TogetherJob(
            id=row["id"],
            body=json.loads(row["body"]),
            plan=JobPlan.from_json(json.loads(row["plan"])),
            created_at=created_at,
            speed=speed,
            v=max(0.0, (now - created_at) * speed),
            cancel_v=None if cancelled is None else (float(cancelled) - created_at) * speed,
        )

    @property
    def end_v(self) -> float:
        plan = self.plan
        return plan.validate_s if plan.failure else plan.end + COMPRESS_S + UPLOAD_S

    @property
    def output_name(self) -> str:
        return self.plan.fine_tuned_model

    def real_time(self, v: float) -> float:
        """The wall-clock time (unix seconds) of simulated second ``v``."""
        return self.created_at + v / self.speed

    def run_status(self, v: float) -> str:
        """The status at simulated second ``v`` had nobody cancelled."""
        plan = self.plan
        if v < plan.validate_s:
            return "pending"
        if plan.failure:
            return "error"
        if v < plan.run_start:
            return "queued"
        if v < plan.end:
            return "running"
        if v < plan.end + COMPRESS_S:
            return "compressing"
        return "uploading" if v < self.end_v else "completed"

    @property
    def cancelled_in_time(self) -> bool:
        return self.cancel_v is not None and self.cancel_v < self.end_v

    @property
    def status(self) -> str:
        if self.cancelled_in_time:
            assert self.cancel_v is not None
            return "cancel_requested" if self.v < self.cancel_v + CANCEL_S else "cancelled"
        return self.run_status(self.v)

    @property
    def trained_until(self) -> float:
        """The simulated second up to which the job has trained: now, or the cancel."""
        return min(self.v, self.cancel_v) if self.cancelled_in_time and self.cancel_v is not None else self.v

    @property
    def completed(self) -> bool:
        return self.status == "completed"

    def _epoch_steps(self) -> list[int]:
        plan = self.plan
        return [round(plan.total_steps * epoch / plan.n_epochs) for epoch in range(1, plan.n_epochs + 1)]

    def _checkpoints_planned(self) -> list[Checkpoint]:
        plan, count = self.plan, int(self.body["n_checkpoints"])
        steps = sorted(
            {math.ceil(plan.total_steps * i / count) for i in range(1, count)} - {plan.total_steps}
        )
        planned = [Checkpoint(plan.step_time(step), step, "Intermediate", self._path(step)) for step in steps]
        planned.append(Checkpoint(self.end_v, plan.total_steps, "Final", self._path(plan.total_steps)))
        return planned

    def _path(self, step: int) -> str:
        return f"s3://ftops-emulator/finetune/{self.id}/checkpoint-{step}"

    def _events_planned(self) -> list[Event]:
        plan, name = self.plan, self.output_name
        events = [Event(0.0, "job_pending", f"Fine-tune job {self.id} created and pending.")]
        events.append(
            Event(
                0.0, "training_data_downloading", f"Downloading training file {self.body['training_file']}."
            )
        )
        if plan.failure:
            return [*events, Event(plan.validate_s, "job_error", plan.failure.message, level="error")]
        events.append(Event(plan.validate_s, "training_data_download_complete", "Training file checked."))
        events.append(Event(plan.run_start, "job_start", "Job started."))
        events.append(
            Event(plan.run_start, "model_download_complete", f"Base model {self.body['model']} ready.")
        )
        events.append(Event(plan.run_start, "training_start", "Training started."))
        for epoch, step in enumerate(self._epoch_steps(), start=1):
            events.append(
                Event(
                    plan.step_time(step),
                    "epoch_complete",
                    f"Epoch {epoch}/{plan.n_epochs} completed at step {step}.",
                    step=step,
                )
            )
        for checkpoint in self._checkpoints_planned()[:-1]:
            events.append(
                Event(
                    checkpoint.v,
                    "checkpoint_save",
                    f"Checkpoint saved at step {checkpoint.step}.",
                    step=checkpoint.step,
                    checkpoint_path=checkpoint.path,
                )
            )
        events.append(Event(plan.end, "training_complete", "Training completed.", step=plan.total_steps))
        events.append(Event(plan.end, "model_compressing", "Compressing output model."))
        events.append(Event(plan.end + COMPRESS_S, "model_compression_complete", "Model compressed."))
        events.append(Event(plan.end + COMPRESS_S, "model_uploading", "Uploading output model."))
        events.append(Event(self.end_v, "model_upload_complete", "Model uploaded.", model_path=self._path(0)))
        events.append(Event(self.end_v, "job_complete", f"Job finished. Your model: {name}", model_path=name))
        return sorted(events, key=lambda event: event.v)

    def events(self) -> list[Event]:
        """The events that have happened by now, oldest first."""
        limit = self.v
        happened = []
        if self.cancelled_in_time:
            assert self.cancel_v is not None
            limit = min(self.v, self.cancel_v)
            happened = [Event(self.cancel_v, "cancel_requested", "Cancel requested.")]
            if self.v >= self.cancel_v + CANCEL_S:
                happened.append(Event(self.cancel_v + CANCEL_S, "job_stopped", "Job cancelled."))
        return [event for event in self._events_planned() if event.v <= limit] + happened

    def checkpoints(self) -> list[Checkpoint]:
        """Checkpoints saved by now, newest first as Together lists them."""
        return [c for c in reversed(self._checkpoints_planned()) if c.v <= self.trained_until]

    def event_object(self, event: Event) -> dict[str, Any]:
        return {
            "object": "fine-tune-event",
            "created_at": iso(self.real_time(event.v)),
            "level": event.level,
            "message": event.message,
            "type": event.type,
            "param_count": self.plan_param_count,
            "token_count": self.token_count,
            "total_steps": self.plan.total_steps,
            "wandb_url": "",
            "step": event.step,
            "checkpoint_path": event.checkpoint_path,
            "model_path": event.model_path,
            "training_offset": 0,
            "hash": "",
        }

    def checkpoint_object(self, checkpoint: Checkpoint) -> dict[str, Any]:
        return {
            "step": checkpoint.step,
            "path": checkpoint.path,
            "created_at": iso(self.real_time(checkpoint.v)),
            "checkpoint_type": checkpoint.kind,
        }

    @property
    def plan_param_count(self) -> int:
        return int(self.body["param_count"])

    @property
    def token_count(self) -> int:
        """Trained tokens (all epochs), known once the file has been read at the job's start."""
        validated = self.v >= self.plan.validate_s and not self.plan.failure
        return self.plan.trained_tokens if validated else 0

    @property
    def total_price(self) -> int:
        """In cents (the spec gives the integer no unit): what was trained so far is billed."""
        if not self.token_count:
            return 0
        per_million = float(self.body["dollars_per_million_tokens"])
        return round(per_million * self.plan.trained_tokens * self.trained_fraction / 1e4)

    @property
    def trained_fraction(self) -> float:
        """How much of the training has run: up to now, or up to the cancel."""
        return min(1.0, max(0.0, (self.trained_until - self.plan.run_start) / self.plan.run_s))

    def truncated(self) -> dict[str, Any]:
        """``FinetuneResponseTruncated``: create, list and cancel answer with this."""
        body, plan = self.body, self.plan
        events = self.events()
        updated = self.real_time(events[-1].v) if events else self.created_at
        out: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "created_at": iso(self.created_at),
            "updated_at": iso(updated),
            "user_id": USER_ID,
            "owner_address": OWNER_ADDRESS,
            "total_price": self.total_price,
            "token_count": self.token_count,
            "events": [],
            "training_file": body["training_file"],
            "validation_file": body["validation_file"] or "",
            "model": body["model"],
            "model_output_name": self.output_name,
            "suffix": body["suffix"] or "",
            "n_epochs": plan.n_epochs,
            "n_evals": body["n_evals"],
            "n_checkpoints": body["n_checkpoints"],
            "batch_size": plan.batch_size,
            "training_type": body["training_type"],
            "training_method": body["training_method"],
            "learning_rate": body["learning_rate"],
            "warmup_ratio": body["warmup_ratio"],
            **body["echoed"],
        }
        if body["random_seed"] is not None:
            out["random_seed"] = body["random_seed"]
        if (
            self.v >= plan.run_start
            and not plan.failure
            and (self.cancel_v is None or self.cancel_v >= plan.run_start)
        ):
            out["started_at"] = iso(self.real_time(plan.run_start))
        running = self.status in ("queued", "running", "compressing", "uploading")
        out["progress"] = {
            "estimate_available": running,
            "seconds_remaining": max(0, round((self.end_v - self.v) / self.speed)) if running else 0,
        }
        return out

    def full(self) -> dict[str, Any]:
        """``FinetuneResponse``: retrieve answers with this, events included."""
        out = self.truncated()
        steps_done = 0 if self.plan.failure else int(self.plan.total_steps * self.trained_fraction)
        out.update(
            {
                "events": [self.event_object(event) for event in self.events()],
                "param_count": self.plan_param_count,
                "epochs_completed": steps_done * self.plan.n_epochs // self.plan.total_steps,
                "total_steps": self.plan.total_steps,
                "steps_completed": steps_done,
                "trainingfile_numlines": self.body["examples"],
                "trainingfile_size": self.body["training_bytes"],
                "train_on_inputs": self.body["training_method"].get("train_on_inputs", "auto"),
                "queue_depth": 0,
                "wandb_url": "",
            }
        )
        if self.completed:
            out["model_output_path"] = self._path(self.plan.total_steps)
        return out


def live_job(conn: sqlite3.Connection, job_id: str, now: float) -> TogetherJob:
    row = conn.execute("SELECT * FROM together_jobs WHERE id = ? AND deleted = 0", (job_id,)).fetchone()
    if row is None:
        raise job_not_found(job_id)
    return TogetherJob.from_row(row, now)


def completed_job_of_model(conn: sqlite3.Connection, model: str, now: float) -> TogetherJob | None:
    """The job whose output model is ``model``, if it completed (and was not deleted)."""
    for row in conn.execute(
        "SELECT * FROM together_jobs WHERE json_extract(plan, '$.fine_tuned_model') = ? AND deleted = 0",
        (model,),
    ):
        job = TogetherJob.from_row(row, now)
        if job.completed:
            return job
    return None
