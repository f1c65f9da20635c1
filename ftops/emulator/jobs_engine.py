"""Fine-tuning jobs in the store: creation, catching up with the clock, and their API shape.

``sync_active`` is called before any read that can see a job, its events,
checkpoints, result file or model: it writes whatever the job's timeline says
has happened since the last look (see ``lifecycle``), so the stored rows are
always consistent with the clock without any background thread.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sqlite3
from typing import Any

from ftops.emulator import catalog, lifecycle, training
from ftops.emulator.apierrors import invalid, not_found
from ftops.emulator.ids import new_id, random_token
from ftops.emulator.job_requests import JobRequest
from ftops.emulator.lifecycle import Failure, JobPlan
from ftops.emulator.runtime import Runtime

_AUTO_SHOWN = {"n_epochs": "auto", "batch_size": "auto", "learning_rate_multiplier": "auto"}
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


def _file_row(conn: sqlite3.Connection, file_id: str, param: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM files WHERE id = ? AND deleted = 0", (file_id,)
    ).fetchone()
    if row is None:
        raise invalid(
            f"invalid {param}: {file_id}. The file does not exist.", param=param, code="invalid_file"
        )
    if row["purpose"] != "fine-tune":
        raise invalid(
            f"File {file_id} has purpose '{row['purpose']}'; {param} needs purpose 'fine-tune'.",
            param=param,
            code="invalid_file_purpose",
        )
    return row


def _resolve_model(conn: sqlite3.Connection, request: JobRequest) -> tuple[str, catalog.BaseModel]:
    """(the model the job reports, the base model it trains on) or 400 naming ``model``."""
    base = catalog.base_model(request.model)
    if base is None and request.model.startswith("ft:"):
        owned = conn.execute(
            "SELECT id FROM models WHERE id = ? AND deleted = 0", (request.model,)
        ).fetchone()
        base = catalog.base_model(request.model.split(":")[1]) if owned else None
        if base is not None:
            if request.method_type not in base.methods:
                base = None
            else:
                return request.model, base
    if base is None or not base.methods:
        raise invalid(
            f"Model {request.model} is not available for fine-tuning or does not exist.",
            param="model",
            code="model_not_available",
        )
    if request.method_type not in base.methods:
        raise invalid(
            f"Model {request.model} does not support the '{request.method_type}' method.",
            param="model",
            code="invalid_method_for_model",
        )
    return base.trains_as, base


def _auto(given: dict[str, Any], examples: int, method: str) -> dict[str, Any]:
    """Concrete values for 'auto' (or omitted) hyperparameters, in the spirit of the service's rules."""
    resolved = dict(given)
    if resolved.get("n_epochs", "auto") == "auto":
        epochs = 3
        if examples * epochs < 100:
            epochs = min(25, math.ceil(100 / max(examples, 1)))
        elif examples * epochs > 25_000:
            epochs = max(1, 25_000 // examples)
        resolved["n_epochs"] = epochs
    if resolved.get("batch_size", "auto") == "auto":
        resolved["batch_size"] = max(1, min(256, round(examples * 0.002)))
    if resolved.get("learning_rate_multiplier", "auto") == "auto":
        resolved["learning_rate_multiplier"] = 2.0 if resolved["batch_size"] < 8 else 1.0
    if method == "dpo" and resolved.get("beta", "auto") == "auto":
        resolved["beta"] = 0.1
    if method == "reinforcement":
        for name, value in (("compute_multiplier", 1.0), ("eval_interval", 1), ("eval_samples", 1)):
            if resolved.get(name, "auto") == "auto":
                resolved[name] = value
        resolved.setdefault("reasoning_effort", "medium")
    return resolved


def create_job(rt: Runtime, request: JobRequest) -> dict[str, Any]:
    now = rt.clock()
    with rt.store.transaction() as conn:
        model, base = _resolve_model(conn, request)
        training_row = _file_row(conn, request.training_file, "training_file")
        if request.validation_file:
            _file_row(conn, request.validation_file, "validation_file")
        legacy = base.id in ("babbage-002", "davinci-002")
        checked = training.check_training_file(
            rt.store.blob_path(training_row["id"]), request.method_type, base.encoding, legacy
        )
        failure = None
        if isinstance(checked, training.FileProblem):
            failure = Failure(checked.code, checked.message, "training_file")
        elif request.validation_file:
            valid = training.check_training_file(
                rt.store.blob_path(request.validation_file), request.method_type, base.encoding, legacy
            )
            if isinstance(valid, training.FileProblem):
                failure = Failure(valid.code, "Validation file: " + valid.message, "validation_file")
        examples = checked.examples if isinstance(checked, training.TrainingSummary) else 0
        tokens = checked.tokens if isinstance(checked, training.TrainingSummary) else 0
        job_id = new_id("ftjob-")
        seed = request.seed if request.seed is not None else int.from_bytes(job_id.encode()[-4:]) % 2**31
        resolved = _auto(request.hyperparameter_values(), examples, request.method_type)
        base_segment = model.split(":")[1] if model.startswith("ft:") else model
        plan = lifecycle.make_plan(
            fine_tuned_model=f"ft:{base_segment}:{rt.org_slug}:{request.suffix or ''}:{random_token(8)}",
            examples=examples,
            tokens_per_epoch=tokens,
            n_epochs=int(resolved["n_epochs"]),
            batch_size=int(resolved["batch_size"]),
            learning_rate_multiplier=float(resolved["learning_rate_multiplier"]),
            has_validation=request.validation_file is not None,
            seed=seed,
            failure=failure,
        )
        body = {
            "model": model,
            "training_file": request.training_file,
            "validation_file": request.validation_file,
            "method": request.method_type,
            "given": request.hyperparameter_values(),
            "resolved": resolved,
            "grader": json.loads(request.grader) if request.grader else None,
            "suffix": request.suffix,
            "seed": seed,
            "integrations": json.loads(request.integrations) if request.integrations else None,
            "metadata": dict(request.metadata) if request.metadata is not None else None,
        }
        conn.execute(
            "INSERT INTO jobs (id, body, plan, created_at, speed, state) VALUES (?, ?, ?, ?, ?, 'active')",
            (job_id, json.dumps(body), json.dumps(plan.to_json()), now, rt.speed),
        )
        conn.executemany(
            "INSERT INTO job_metadata (job_id, key, value) VALUES (?, ?, ?)",
            [(job_id, key, value) for key, value in request.metadata or ()],
        )
        add_event(conn, job_id, int(now), f"Created fine-tuning job: {job_id}")
        _keep_training_copy(rt, training_row["id"], job_id)
        sync_job(conn, rt, job_row(conn, job_id), now)
        return job_object(job_row(conn, job_id), now, rt.organization)


def _keep_training_copy(rt: Runtime, file_id: str, job_id: str) -> None:
    source, target = rt.store.blob_path(file_id), rt.store.training_copy_path(job_id)
    try:
        os.link(source, target)  # free on one filesystem
    except OSError:
        shutil.copyfile(source, target)


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
        if not row["synced_v"] < moment.v <= v and not (moment.v == 0 and row["synced_v"] < 0):
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
    data = lifecycle.result_csv(plan).encode()
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
