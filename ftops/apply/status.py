"""``ftops status``: the jobs of the state as the account sees them now. (``ftops wait`` waits
with the state lock released, as ``apply --wait`` does: ``ftops.apply.unlocked_wait``.)

Status makes one job listing (this project's tagged jobs) plus one events request
per unfinished job for its progress (step / total steps and loss from the newest
metrics event, and its latest message); finished jobs show what the state and the
listing already hold.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ftops.apply.jobprogress import EVENTS_PER_POLL, progress_of
from ftops.lifecycle.model_ids import base_of
from ftops.plan.records import DeploymentRecord, StateRecords
from ftops.provider import JobPhase, Provider
from ftops.provider.types import phase_of


@dataclass(frozen=True)
class JobStatus:
    address: str
    job_id: str
    status: str
    trained_tokens: int | None
    model: str | None  # the fine-tuned model, once there is one
    last_event: str | None
    error: str | None
    # Progress of an unfinished job, from its newest metrics event and the job itself.
    step: int | None = None
    total_steps: int | None = None
    train_loss: float | None = None
    estimated_finish: int | None = None  # unix seconds
    # The adapter's reading of ``status``; left out, ``status`` read as a phase's own word.
    reported_phase: JobPhase | None = None

    @property
    def phase(self) -> JobPhase:
        return self.reported_phase if self.reported_phase is not None else phase_of(self.status)

    def to_json(self) -> dict[str, object]:
        return {
            "address": self.address, "job_id": self.job_id, "status": self.status,
            "trained_tokens": self.trained_tokens, "fine_tuned_model": self.model,
            "last_event": self.last_event, "error": self.error,
            "step": self.step, "total_steps": self.total_steps, "train_loss": self.train_loss,
            "estimated_finish": self.estimated_finish,
        }


def job_statuses(provider: Provider, project: str, records: StateRecords) -> list[JobStatus]:
    listed = {j.id: j for j in provider.list_jobs(project)}
    out = []
    for name in sorted(records.jobs):
        record = records.jobs[name]
        job = listed.get(record.job_id)
        status = job.status if job else record.status
        phase = job.phase if job else provider.capabilities.phase_of(record.status)
        progress = None
        if job is not None and not job.is_terminal:
            progress = progress_of(job, provider.job_events(job.id, limit=EVENTS_PER_POLL))
        out.append(
            JobStatus(
                address=f"jobs.{name}", job_id=record.job_id, status=status, reported_phase=phase,
                trained_tokens=job.trained_tokens if job else record.trained_tokens,
                model=job.fine_tuned_model if job else record.fine_tuned_model,
                last_event=progress.message if progress else None,
                error=(job.error.message if job and job.error else record.error),
                step=progress.step if progress else None,
                total_steps=progress.total_steps if progress else None,
                train_loss=progress.train_loss if progress else None,
                estimated_finish=progress.estimated_finish if progress else None,
            )
        )
    return out


@dataclass(frozen=True)
class ModelStatus:
    name: str
    model_id: str
    base_model: str | None
    shutdown_date: str | None  # of the fine-tuned model, else of its base (issue 10)
    # How the model came, as the state records it: "ftops", "pinned", "imported"; None for a
    # record written before origins were kept.
    origin: str | None = None
    gate: str | None = None  # the name's last gate verdict, for people
    deployment: DeploymentCost | None = None  # the deployment serving it (Azure), and its cost so far

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "model_id": self.model_id, "base_model": self.base_model,
                "shutdown_date": self.shutdown_date, "origin": self.origin, "gate": self.gate,
                "deployment": self.deployment.to_json() if self.deployment is not None else None}


@dataclass(frozen=True)
class DeploymentCost:
    """What a deployment has cost since it was created: hosting is billed by the hour, started
    hours counting whole, whether it answered or not (tokens are billed apart)."""

    name: str
    sku: str
    capacity: int
    created_at: int
    hours: float
    usd_per_hour: float | None
    price_source: str | None

    @property
    def usd_so_far(self) -> float | None:
        return None if self.usd_per_hour is None else math.ceil(self.hours) * self.usd_per_hour

    def text(self) -> str:
        since = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self.created_at))
        cost = (f"${self.usd_so_far:,.2f} at ${self.usd_per_hour:.2f}/h ({self.price_source})"
                if self.usd_so_far is not None else "no hourly price known")
        return f"{self.name} ({self.sku} x{self.capacity}) since {since}: {self.hours:,.1f} h, {cost}"

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "sku": self.sku, "capacity": self.capacity, "created_at": self.created_at,
                "hours": round(self.hours, 3), "usd_per_hour": self.usd_per_hour,
                "usd_so_far": self.usd_so_far,
                "price_source": self.price_source}


def deployment_cost(record: DeploymentRecord, now: float,
                    hosting_pricing: Mapping[str, float] | None = None) -> DeploymentCost:
    from ftops.datasets.hosting import hosting_price

    price = hosting_price(record.model_id, record.sku, hosting_pricing, record.capacity)
    hours = max(0.0, now - record.created_at) / 3600
    return DeploymentCost(record.name, record.sku, record.capacity, record.created_at, hours,
                          price.usd_per_hour if price else None, price.source if price else None)


def model_statuses(provider: Provider, records: StateRecords, *, now: float | None = None,
                   hosting_pricing: Mapping[str, float] | None = None) -> list[ModelStatus]:
    """Each model name with its base model and shutdown date, from one models listing; and its
    deployment's cost since it was created."""
    now = time.time() if now is None else now
    if not records.models:
        return []
    listed = {m.id: m for m in provider.list_models()}
    by_job_id = {r.job_id: r for r in records.jobs.values()}
    out = []
    for name in sorted(records.models):
        record = records.models[name]
        job = by_job_id.get(record.job_id)
        # A model ftops did not train has no job record: its id names its base.
        base = job.base_model if job else base_of(record.model_id)
        own = listed.get(record.model_id)
        date = own.shutdown_date if own else None
        if date is None and base is not None and base in listed:
            date = listed[base].shutdown_date
        cost = deployment_cost(record.deployment, now, hosting_pricing) if record.deployment else None
        out.append(ModelStatus(name, record.model_id, base, date, record.origins.get(record.model_id),
                               gate_text(record.gate, record.model_id), cost))
    return out


def gate_text(verdict: Mapping[str, Any] | None, model_id: str) -> str | None:
    """``PASS on 2026-11-24T10:00:00Z``; ``FAIL for ft:... on ...`` when a later candidate was
    refused; where a reused verdict was reached; who accepted an INCONCLUSIVE verdict, and when."""
    if not verdict:
        return None
    candidate = verdict.get("candidate")
    other = f" for {candidate}" if candidate and candidate != model_id else ""
    text = f"{verdict.get('verdict')}{other} on {verdict.get('decided_at')}"
    if verdict.get("evaluated_by"):
        text += f" (verdict from {verdict['evaluated_by']} at {verdict.get('evaluated_at')})"
    if verdict.get("accepted_by"):
        text += f", accepted by {verdict['accepted_by']} at {verdict.get('accepted_at')}"
    return text
