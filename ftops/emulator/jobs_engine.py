"""Fine-tuning jobs in the store: catching up with the clock, and their API shape.

``sync_active`` is called before any read that can see a job, its events,
checkpoints, result file or model: it writes whatever the job's timeline says
has happened since the last look (see ``lifecycle``), so the stored rows are
always consistent with the clock without any background thread.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from typing import Any

from ftops.emulator import lifecycle
from ftops.emulator.apierrors import not_found
from ftops.emulator.ids import new_id
from ftops.emulator.lifecycle import JobPlan
from ftops.emulator.runtime import Runtime

_AUTO_SHOWN = {"n_epochs": "auto", "batch_size": "auto", "learning_rate_multiplier": "auto"}
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


def add_event(
    conn: sqlite3.Connection,
    job_id: str,
    created_at: int,
    message: str,
    level: str = "info",
    type: str = "message",
    data: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        "INSERT INTO events (id, job_id, created_at, level, message, type, data) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (new_id("ftevent-"), job_id, created_at, level, message, type, json.dumps(data or {})),
    )


def job_row(conn: sqlite3.Connection, job_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise not_found("fine-tuning job", job_id, param="fine_tuning_job_id")
    return row


def simulated_seconds(row: sqlite3.Row, now: float) -> float:
    """Where the job is on its timeline: real time since creation, minus pauses, times its speed."""
    stop = row["ended_at"] or row["paused_at"] or now
    return max(0.0, float((stop - row["created_at"] - row["paused_total"]) * row["speed"]))


def _real_time(row: sqlite3.Row, v: float) -> float:
    return float(row["created_at"] + row["paused_total"] + v / row["speed"])


def sync_job(conn: sqlite3.Connection, rt: Runtime, row: sqlite3.Row, now: float) -> None:
    """Write the events, checkpoints and outcome the timeline has reached by ``now``."""
    if row["state"] != "active":
        return
    plan = JobPlan.from_json(json.loads(row["plan"]))
    body = json.loads(row["body"])
    v = min(simulated_seconds(row, now), plan.end)
    if v <= row["synced_v"]:
        return
    for moment in lifecycle.timeline(plan, row["id"], body["training_file"]):
        if not row["synced_v"] < moment.v <= v:  # synced_v starts at -1, so moments at 0 count
            continue
        at = int(_real_time(row, moment.v))
        add_event(conn, row["id"], at, moment.message, moment.level, moment.type, moment.data)
        if moment.checkpoint_step is not None:
            metrics = {k: x for k, x in moment.data.items() if k != "total_steps"}
            conn.execute(
                "INSERT INTO checkpoints (id, job_id, created_at, step, model, metrics) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    new_id("ftckpt_"),
                    row["id"],
                    at,
                    moment.checkpoint_step,
                    f"{plan.fine_tuned_model}:ckpt-step-{moment.checkpoint_step}",
                    json.dumps(metrics),
                ),
            )
    state, result_file = "active", None
    if v >= plan.end:
        ended = _real_time(row, plan.end)
        state = "failed" if plan.failure else "succeeded"
        if state == "succeeded":
            result_file = _write_result_file(conn, rt, plan, ended)
            conn.execute(
                "INSERT OR REPLACE INTO models (id, created, owned_by, job_id, deleted) "
                "VALUES (?, ?, ?, ?, 0)",
                (plan.fine_tuned_model, int(ended), rt.organization, row["id"]),
            )
        conn.execute(
            "UPDATE jobs SET state = ?, ended_at = ?, result_file = ? WHERE id = ?",
            (state, ended, result_file, row["id"]),
        )
    conn.execute("UPDATE jobs SET synced_v = ? WHERE id = ?", (v, row["id"]))


def _write_result_file(conn: sqlite3.Connection, rt: Runtime, plan: JobPlan, at: float) -> str:
    file_id = new_id("file-")
    # The service sends a result file's content base64-encoded; readers must decode it.
    data = base64.b64encode(lifecycle.result_csv(plan).encode())
    rt.store.blob_path(file_id).write_bytes(data)
    conn.execute(
        "INSERT INTO files (id, filename, purpose, bytes, created_at) VALUES (?, 'step_metrics.csv', "
        "'fine-tune-results', ?, ?)",
        (file_id, len(data), at),
    )
    return file_id


def sync_active(conn: sqlite3.Connection, rt: Runtime, now: float) -> None:
    for row in conn.execute("SELECT * FROM jobs WHERE state = 'active'").fetchall():
        sync_job(conn, rt, row, now)


def status_of(row: sqlite3.Row, now: float) -> str:
    if row["state"] != "active":
        return str(row["state"])
    if row["paused_at"] is not None:
        paused_for = (now - row["paused_at"]) * row["speed"]
        return "pausing" if paused_for < lifecycle.PAUSING_S else "paused"
    plan = JobPlan.from_json(json.loads(row["plan"]))
    return lifecycle.phase_at(plan, simulated_seconds(row, now))


def job_object(row: sqlite3.Row, now: float, organization: str) -> dict[str, Any]:
    body = json.loads(row["body"])
    plan = JobPlan.from_json(json.loads(row["plan"]))
    status = status_of(row, now)
    # Like the service, 'auto' turns into concrete values once the files are validated.
    validated = simulated_seconds(row, now) >= plan.validate_s and not plan.failure
    shown = body["resolved"] if validated else {**_AUTO_SHOWN, **body["given"]}
    common = {k: shown[k] for k in ("n_epochs", "batch_size", "learning_rate_multiplier") if k in shown}
    method_body: dict[str, Any] = {"hyperparameters": dict(shown)}
    if body["grader"] is not None:
        method_body["grader"] = body["grader"]
    succeeded = status == "succeeded"
    estimated = None
    if status in ("queued", "running"):
        estimated = int(_real_time(row, plan.end))
    return {
        "object": "fine_tuning.job",
        "id": row["id"],
        "model": body["model"],
        "created_at": int(row["created_at"]),
        "finished_at": int(row["ended_at"]) if status in ("succeeded", "failed") else None,
        "fine_tuned_model": plan.fine_tuned_model if succeeded else None,
        "organization_id": organization,
        "result_files": [row["result_file"]] if row["result_file"] else [],
        "status": status,
        "validation_file": body["validation_file"],
        "training_file": body["training_file"],
        "hyperparameters": common,
        "trained_tokens": plan.trained_tokens if succeeded else None,
        "error": (
            {"code": plan.failure.code, "message": plan.failure.message, "param": plan.failure.param}
            if status == "failed" and plan.failure
            else None
        ),
        "user_provided_suffix": body["suffix"],
        "seed": body["seed"],
        "estimated_finish": estimated,
        "integrations": body["integrations"] or [],
        "metadata": body["metadata"],
        "method": {"type": body["method"], body["method"]: method_body},
    }
