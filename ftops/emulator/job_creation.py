"""Creating a fine-tuning job in three steps, so reading a large training file blocks no one.

1. ``accept`` (in a transaction): the model and files are checked, the way the
   service refuses a request with a 400, and the training data is pinned (a hard
   link under ``training/``) so a later delete of the file cannot change it.
2. ``inspect`` (no lock, run in a worker thread): the pinned files are read line
   by line and their tokens counted; a bad file is not refused here but recorded
   as the job's future failure, as the service fails the job once it starts.
3. ``record`` (in a transaction): hyperparameters are resolved, the run is
   planned (see ``lifecycle``) and the job row, its metadata and first event written.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ftops import clock
from ftops.emulator import catalog, cutoff, lifecycle, refusals, shutdowns, training
from ftops.emulator.apierrors import invalid
from ftops.emulator.ids import new_id, random_token
from ftops.emulator.job_requests import JobRequest
from ftops.emulator.jobs_engine import add_event, job_object, job_row, sync_job
from ftops.emulator.lifecycle import Failure
from ftops.emulator.runtime import Runtime

LEGACY_COMPLETION_MODELS = frozenset({"babbage-002", "davinci-002"})


@dataclass(frozen=True, slots=True)
class Accepted:
    job_id: str
    request: JobRequest
    model: str  # as the job reports it: the snapshot, or the fine-tuned model continued from
    base: catalog.BaseModel
    training_copy: Path
    validation_copy: Path | None
    forced_failure: Failure | None = None  # a configured ``invalid-file`` refusal


@dataclass(frozen=True, slots=True)
class Inspection:
    examples: int
    tokens_per_epoch: int
    failure: Failure | None


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


def _refuse_if_shut_down(conn: sqlite3.Connection, model: str, base: catalog.BaseModel, today: str) -> None:
    """A base model (or a fine-tuned model continued from) past its shutdown date trains nothing:
    the service answers with a 400 on ``model``, as for any model it does not fine-tune."""
    for model_id in dict.fromkeys((model, base.id, base.trains_as)):  # as asked, its base, its snapshot
        listed = catalog.base_model(model_id)
        when = shutdowns.effective(conn, model_id, listed.shutdown_date if listed else None)
        if when is not None and when <= today:
            raise invalid(
                f"Model {model} is not available for fine-tuning: {model_id} was shut down on {when}.",
                param="model",
                code="model_not_available",
            )


def _resolve_model(
    conn: sqlite3.Connection, request: JobRequest, today: str | None
) -> tuple[str, catalog.BaseModel]:
    """(the model the job reports, the base model it trains on) or a 400 naming ``model``;
    ``today`` None: no shutdown date is checked."""
    base = catalog.base_model(request.model)
    reported = base.trains_as if base else request.model
    if base is None and request.model.startswith("ft:"):
        owned = conn.execute("SELECT 1 FROM models WHERE id = ? AND deleted = 0", (request.model,)).fetchone()
        base = catalog.base_model(request.model.split(":")[1]) if owned else None
    if base is None or not base.methods:
        raise invalid(
            f"Model {request.model} is not available for fine-tuning or does not exist.",
            param="model",
            code="model_not_available",
        )
    if today is not None:
        _refuse_if_shut_down(conn, request.model, base, today)
    if request.method_type not in base.methods:
        raise invalid(
            f"Model {request.model} does not support the '{request.method_type}' method.",
            param="model",
            code="invalid_method_for_model",
        )
    return reported, base


def _pin(source: Path, target: Path) -> Path:
    try:
        os.link(source, target)  # free on one filesystem
    except OSError:
        shutil.copyfile(source, target)
    return target


def accept(rt: Runtime, request: JobRequest, *, in_the_past: bool = False) -> Accepted:
    """Check and pin a job request. ``in_the_past``: a job that ran before today (``plant``),
    so today's refusals, job cutoff and shutdown dates do not apply to it."""
    # FTOPS_TODAY pins the day, as it does for the CLI; otherwise the emulator's clock decides.
    today = (
        clock.today().isoformat()
        if os.environ.get(clock.ENV_VAR)
        else datetime.fromtimestamp(rt.clock(), UTC).date().isoformat()
    )
    if not in_the_past:
        refused = refusals.creation_refusal(rt.refusals, request.model)
        if refused is not None:
            raise refused
        too_late = cutoff.creation_refusal(rt.job_cutoff, today)
        if too_late is not None:
            raise too_late
    job_id = new_id("ftjob-")
    with rt.store.transaction() as conn:
        model, base = _resolve_model(conn, request, None if in_the_past else today)
        _file_row(conn, request.training_file, "training_file")
        if request.validation_file:
            _file_row(conn, request.validation_file, "validation_file")
        # Pinned under the lock: a delete of the file waits for this transaction.
        training_copy = _pin(rt.store.blob_path(request.training_file), rt.store.training_copy_path(job_id))
        validation_copy = None
        if request.validation_file:
            validation_copy = _pin(
                rt.store.blob_path(request.validation_file),
                rt.store.training_dir / f"{job_id}.validation.jsonl",
            )
    forced = refusals.forced_failure(rt.refusals, request.model)
    return Accepted(job_id, request, model, base, training_copy, validation_copy, forced)


def inspect(accepted: Accepted) -> Inspection:
    method, encoding = accepted.request.method_type, accepted.base.encoding
    if accepted.forced_failure is not None:
        if accepted.validation_copy is not None:
            accepted.validation_copy.unlink(missing_ok=True)
        return Inspection(0, 0, accepted.forced_failure)
    legacy = accepted.base.trains_as in LEGACY_COMPLETION_MODELS
    checked = training.check_training_file(accepted.training_copy, method, encoding, legacy)
    if isinstance(checked, training.FileProblem):
        return Inspection(0, 0, Failure(checked.code, checked.message, "training_file"))
    if accepted.validation_copy is not None:
        valid = training.check_training_file(accepted.validation_copy, method, encoding, legacy)
        accepted.validation_copy.unlink(missing_ok=True)  # only the training data is kept
        if isinstance(valid, training.FileProblem):
            failure = Failure(valid.code, "Validation file: " + valid.message, "validation_file")
            return Inspection(checked.examples, checked.tokens, failure)
    return Inspection(checked.examples, checked.tokens, None)


def resolve_hyperparameters(given: dict[str, Any], examples: int, method: str) -> dict[str, Any]:
    """Concrete values for 'auto' (or omitted) hyperparameters, in the spirit of the service's rules:
    about 3 epochs, more for small files (so ~100 examples are seen), fewer for huge ones."""
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


def record(
    rt: Runtime, accepted: Accepted, inspection: Inspection, *, in_the_past: bool = False
) -> dict[str, Any]:
    """Write the job. ``in_the_past``: it was created long enough ago to have finished by now."""
    request, job_id, now = accepted.request, accepted.job_id, rt.clock()
    seed = request.seed if request.seed is not None else int.from_bytes(job_id.encode()[-4:]) % 2**31
    resolved = resolve_hyperparameters(
        request.hyperparameter_values(), inspection.examples, request.method_type
    )
    base_segment = accepted.model.split(":")[1] if accepted.model.startswith("ft:") else accepted.model
    plan = lifecycle.make_plan(
        fine_tuned_model=f"ft:{base_segment}:{rt.org_slug}:{request.suffix or ''}:{random_token(8)}",
        examples=inspection.examples,
        tokens_per_epoch=inspection.tokens_per_epoch,
        n_epochs=int(resolved["n_epochs"]),
        batch_size=int(resolved["batch_size"]),
        learning_rate_multiplier=float(resolved["learning_rate_multiplier"]),
        has_validation=request.validation_file is not None,
        seed=seed,
        failure=inspection.failure,
    )
    created_at = now - plan.end / rt.speed - 1.0 if in_the_past else now
    body = {
        "model": accepted.model,
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
    with rt.store.transaction() as conn:
        conn.execute(
            "INSERT INTO jobs (id, body, plan, created_at, speed, state) VALUES (?, ?, ?, ?, ?, 'active')",
            (job_id, json.dumps(body), json.dumps(plan.to_json()), created_at, rt.speed),
        )
        conn.executemany(
            "INSERT INTO job_metadata (job_id, key, value) VALUES (?, ?, ?)",
            [(job_id, key, value) for key, value in request.metadata or ()],
        )
        add_event(conn, job_id, int(created_at), f"Created fine-tuning job: {job_id}")
        sync_job(conn, rt, job_row(conn, job_id), now)
        return job_object(job_row(conn, job_id), now, rt.organization)


def discard(accepted: Accepted) -> None:
    """Undo ``accept`` when the job is not recorded after all."""
    accepted.training_copy.unlink(missing_ok=True)
    if accepted.validation_copy is not None:
        accepted.validation_copy.unlink(missing_ok=True)
