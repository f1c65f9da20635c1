"""Together's training metrics: ``GET /v1/fine-tunes/{id}/metrics``.

The published spec answers ``{"metrics": [...]}``, flat maps of numbers in chronological
order, and its example names ``train/loss``, ``train/learning_rate`` and
``train/global_step``. Its events carry no loss (``FineTuneEvent`` has no such field):
these snapshots are where Together's loss curve lives. The ``together`` SDK 3.1.1 sends
the filters as query parameters (the spec as a JSON body on the GET: both are read here),
adds ``resolution`` ("uniformly sampled train metrics ... does not limit the number of
eval metric points", so evaluations are rows of the same list), and its own chart keys
every row by ``train/global_step``. The spec names no evaluation key: the emulator writes
``eval/loss`` beside ``train/global_step``, the ``train/loss`` convention with the
``eval`` prefix (see docs/together.md). The values are the neutral job plan's curves
(``lifecycle.step_metrics``), the same as the OpenAI side's.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ftops.emulator import lifecycle
from ftops.emulator.apierrors import invalid
from ftops.emulator.http import runtime
from ftops.emulator.together.http import PREFIX, together_key
from ftops.emulator.together.jobs import TogetherJob, live_job


def eval_steps(job: TogetherJob) -> list[int]:
    """The steps after which the validation file is evaluated: ``n_evals`` evenly spread."""
    count, total = int(job.body["n_evals"]), job.plan.total_steps
    if not count or not job.plan.has_validation:
        return []
    return sorted({max(1, math.ceil(total * i / count)) for i in range(1, count + 1)})


def learning_rate(job: TogetherJob, step: int) -> float:
    """The linear schedule: warm up over ``warmup_ratio`` of the steps, then decay to zero."""
    peak, total = float(job.body["learning_rate"]), job.plan.total_steps
    warmup = math.ceil(total * float(job.body["warmup_ratio"] or 0.0))
    if step <= warmup:
        return peak * step / warmup
    return peak * (total - step) / max(1, total - warmup)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One row of the answer, with when it was logged (unix seconds) for the time filters."""

    logged_at: float
    step: int
    values: dict[str, float]

    @property
    def is_training(self) -> bool:
        return "train/loss" in self.values


def snapshots(job: TogetherJob) -> list[Snapshot]:
    """Every snapshot logged by now, in chronological order (a training row before the
    evaluation of the same step)."""
    plan = job.plan
    if plan.failure:
        return []
    rows: list[tuple[float, int, int, dict[str, float]]] = []
    evaluated = eval_steps(job)
    # An evaluated step also logs its training row, so each validation point has both losses.
    for step in sorted(set(lifecycle.metric_steps(plan)) | set(evaluated)):
        train_loss = lifecycle.step_metrics(plan, step)["train_loss"]
        values = {"train/loss": train_loss, "train/learning_rate": learning_rate(job, step),
                  "train/global_step": float(step)}
        rows.append((plan.step_time(step), 0, step, values))
    for step in evaluated:
        values = {"eval/loss": lifecycle.step_metrics(plan, step)["valid_loss"],
                  "train/global_step": float(step)}
        rows.append((plan.step_time(step), 1, step, values))
    return [
        Snapshot(job.real_time(v), step, values)
        for v, _order, step, values in sorted(rows, key=lambda row: row[:2])
        if v <= job.trained_until
    ]


def _int_filter(filters: dict[str, Any], name: str) -> int | None:
    value = filters.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid(f"'{name}' must be an integer.", param=name) from None


def _time_filter(filters: dict[str, Any], name: str) -> float | None:
    value = filters.get(name)
    if value is None or value == "":
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise invalid(f"'{name}' must be an ISO-8601 date-time.", param=name) from None


def _sampled(rows: list[Snapshot], resolution: int | None) -> list[Snapshot]:
    """At most ``resolution`` training rows, uniformly spread and keeping the last; every
    evaluation row stays (the SDK: resolution "does not limit the number of eval metric points")."""
    train = [i for i, row in enumerate(rows) if row.is_training]
    if resolution is None or resolution <= 0 or len(train) <= resolution:
        return rows
    keep = {train[round(i * (len(train) - 1) / max(1, resolution - 1))] for i in range(resolution)}
    return [row for i, row in enumerate(rows) if i in keep or not row.is_training]


async def list_metrics(request: Request) -> Response:
    together_key(request)
    rt = runtime(request)
    filters: dict[str, Any] = dict(request.query_params)
    raw = await request.body()
    if raw.strip():  # the spec's form: the filters as a JSON body on the GET
        try:
            body = json.loads(raw)
        except ValueError:
            raise invalid("The request body is not valid JSON.") from None
        if isinstance(body, dict):
            filters = {**body, **filters}
    step_from, step_to = _int_filter(filters, "global_step_from"), _int_filter(filters, "global_step_to")
    time_from, time_to = _time_filter(filters, "logged_at_from"), _time_filter(filters, "logged_at_to")
    resolution = _int_filter(filters, "resolution")
    with rt.store.reading() as conn:
        job = live_job(conn, request.path_params["job_id"], rt.clock())
    rows = [
        row for row in snapshots(job)
        if (step_from is None or row.step >= step_from)
        and (step_to is None or row.step <= step_to)
        and (time_from is None or row.logged_at >= time_from)
        and (time_to is None or row.logged_at <= time_to)
    ]
    return JSONResponse({"metrics": [row.values for row in _sampled(rows, resolution)]})


ROUTES = [Route(f"{PREFIX}/fine-tunes/{{job_id}}/metrics", list_metrics, methods=["GET"])]
