"""Together's fine-tunes: model limits, price estimates, create, list, retrieve, events, checkpoints,
cancel and delete, on the emulator's one job lifecycle (see ``jobs``).

Creation follows the OpenAI side's three steps (``job_creation``): accept and pin
the training data under the lock, read and check it in a worker thread, then
record the job; a bad file is no 400 but the job's failure once it starts.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ftops.emulator import lifecycle
from ftops.emulator.apierrors import invalid
from ftops.emulator.http import runtime
from ftops.emulator.lifecycle import Failure
from ftops.emulator.runtime import Runtime
from ftops.emulator.together import datasets
from ftops.emulator.together.catalog import MODELS, together_model
from ftops.emulator.together.fine_tune_requests import FineTuneRequest, parse_fine_tune_request
from ftops.emulator.together.http import PREFIX, together_json, together_key
from ftops.emulator.together.jobs import TERMINAL, TogetherJob, live_job
from ftops.emulator.training import FileProblem, TrainingSummary

USER_LIMIT_DOLLARS = 10_000.0  # the emulated account's credit limit


async def model_limits(request: Request) -> Response:
    together_key(request)
    name = request.query_params.get("model_name", "")
    model = together_model(name)
    if model is None:
        # Not ErrorData here: the spec gives this 404 a bare {"message"}.
        return JSONResponse({"message": f"Model {name!r} is not available for fine-tuning."}, status_code=404)
    return JSONResponse(model.limits())


async def supported_models(request: Request) -> Response:
    together_key(request)
    return JSONResponse({"models": [model.name for model in MODELS]})


def _file_path(rt: Runtime, file_id: str, param: str) -> Path:
    with rt.store.reading() as conn:
        row = conn.execute(
            "SELECT id FROM together_files WHERE id = ? AND deleted = 0 AND uploaded = 1", (file_id,)
        ).fetchone()
    if row is None:
        raise invalid(f"Invalid {param}: file {file_id} does not exist.", param=param, code="invalid_file")
    return rt.store.blob_path(file_id)


async def estimate_price(request: Request) -> Response:
    together_key(request)
    rt = runtime(request)
    body = await together_json(request)
    if not body.get("model"):
        raise invalid("Missing required parameter: 'model'.", param="model")
    parsed = parse_fine_tune_request(body)
    training = _file_path(rt, parsed.training_file, "training_file")
    checked = await run_in_threadpool(datasets.check_training_file, training, parsed.method)
    if isinstance(checked, FileProblem):
        return JSONResponse({"estimation_available": False, "unavailable_reason": "train_file_invalid"})
    eval_tokens = 0
    if parsed.validation_file is not None and parsed.n_evals:
        valid = await run_in_threadpool(
            datasets.check_training_file,
            _file_path(rt, parsed.validation_file, "validation_file"),
            parsed.method,
        )
        if isinstance(valid, FileProblem):
            return JSONResponse({"estimation_available": False, "unavailable_reason": "eval_file_invalid"})
        eval_tokens = valid.tokens * parsed.n_evals
    train_tokens = checked.tokens * parsed.n_epochs
    price = _dollars(parsed, train_tokens + eval_tokens)
    return JSONResponse(
        {
            "estimation_available": True,
            "estimated_total_price": price,
            "allowed_to_proceed": price <= USER_LIMIT_DOLLARS,
            "user_limit": USER_LIMIT_DOLLARS,
            "estimated_train_token_count": train_tokens,
            "estimated_eval_token_count": eval_tokens,
        }
    )


def _dollars(parsed: FineTuneRequest, tokens: int) -> float:
    per_million = parsed.model.dollars_per_million_tokens(parsed.full, parsed.method == "dpo")
    return round(per_million * tokens / 1e6, 6)


@dataclass(frozen=True, slots=True)
class _Accepted:
    job_id: str
    request: FineTuneRequest
    training_copy: Path
    validation_copy: Path | None
    training_bytes: int


def _pin(source: Path, target: Path) -> Path:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    return target


def _accept(rt: Runtime, parsed: FineTuneRequest) -> _Accepted:
    job_id = f"ft-{uuid.uuid4()}"
    # Pinned under the lock, as on the OpenAI side: a later delete of the file cannot change the job.
    with rt.store.transaction():
        training = _file_path(rt, parsed.training_file, "training_file")
        validation = (
            _file_path(rt, parsed.validation_file, "validation_file")
            if parsed.validation_file is not None
            else None
        )
        training_copy = _pin(training, rt.store.training_copy_path(job_id))
        validation_copy = (
            _pin(validation, rt.store.training_dir / f"{job_id}.validation.jsonl")
            if validation is not None
            else None
        )
    return _Accepted(job_id, parsed, training_copy, validation_copy, training_copy.stat().st_size)


def _inspect(accepted: _Accepted) -> TrainingSummary | Failure:
    method = accepted.request.method
    checked = datasets.check_training_file(accepted.training_copy, method)
    if isinstance(checked, FileProblem):
        return Failure(checked.code, "Training file: " + checked.message, "training_file")
    if accepted.validation_copy is not None:
        valid = datasets.check_training_file(accepted.validation_copy, method)
        accepted.validation_copy.unlink(missing_ok=True)  # only the training data is kept
        if isinstance(valid, FileProblem):
            return Failure(valid.code, "Validation file: " + valid.message, "validation_file")
    return checked


def output_model_name(account: str, base: str, suffix: str | None, job_id: str) -> str:
    """``<account>/<base>-<suffix>-<8 hex>``: an assumption, as the spec gives no rule (its one example
    has no suffix); the hash is of the job id, so each job names a model of its own."""
    digest = hashlib.sha256(job_id.encode()).hexdigest()[:8]
    short = base.rsplit("/", 1)[-1]
    return f"{account}/{short}-{suffix}-{digest}" if suffix else f"{account}/{short}-{digest}"


def _record(rt: Runtime, accepted: _Accepted, inspected: TrainingSummary | Failure) -> dict[str, Any]:
    parsed, job_id, now = accepted.request, accepted.job_id, rt.clock()
    failure = inspected if isinstance(inspected, Failure) else None
    summary = inspected if isinstance(inspected, TrainingSummary) else TrainingSummary(0, 0)
    seed = parsed.random_seed if parsed.random_seed is not None else int(job_id[3:11], 16)
    plan = lifecycle.make_plan(  # the emulator's one job lifecycle, rendered by jobs.TogetherJob
        fine_tuned_model=output_model_name(rt.org_slug, parsed.model.name, parsed.suffix, job_id),
        examples=summary.examples,
        tokens_per_epoch=summary.tokens,
        n_epochs=parsed.n_epochs,
        batch_size=parsed.batch_size,
        learning_rate_multiplier=parsed.learning_rate,
        has_validation=parsed.validation_file is not None,
        seed=seed,
        failure=failure,
    )
    body = {
        "model": parsed.model.name,
        "training_file": parsed.training_file,
        "validation_file": parsed.validation_file,
        "suffix": parsed.suffix,
        "n_evals": parsed.n_evals,
        "n_checkpoints": parsed.n_checkpoints,
        "learning_rate": parsed.learning_rate,
        "warmup_ratio": parsed.warmup_ratio,
        "training_method": parsed.training_method_body(),
        "training_type": parsed.training_type_body(),
        "random_seed": parsed.random_seed,
        "echoed": dict(parsed.echoed),
        "param_count": parsed.model.param_count,
        "examples": summary.examples,
        "training_bytes": accepted.training_bytes,
        "dollars_per_million_tokens": parsed.model.dollars_per_million_tokens(
            parsed.full, parsed.method == "dpo"
        ),
    }
    with rt.store.transaction() as conn:
        conn.execute(
            "INSERT INTO together_jobs (id, body, plan, created_at, speed) VALUES (?, ?, ?, ?, ?)",
            (job_id, json.dumps(body), json.dumps(plan.to_json()), now, rt.speed),
        )
        return live_job(conn, job_id, now).truncated()


async def create_fine_tune(request: Request) -> Response:
    together_key(request)
    rt = runtime(request)
    accepted = _accept(rt, parse_fine_tune_request(await together_json(request)))
    try:
        inspected = await run_in_threadpool(_inspect, accepted)
        return JSONResponse(_record(rt, accepted, inspected))  # 200, not 201, as the service
    except BaseException:
        accepted.training_copy.unlink(missing_ok=True)
        if accepted.validation_copy is not None:
            accepted.validation_copy.unlink(missing_ok=True)
        raise


async def list_fine_tunes(request: Request) -> Response:
    """Every job, newest first, with no paging: the service's list has none."""
    together_key(request)
    rt = runtime(request)
    now = rt.clock()
    with rt.store.reading() as conn:
        rows = conn.execute("SELECT * FROM together_jobs WHERE deleted = 0 ORDER BY seq DESC").fetchall()
    data = [TogetherJob.from_row(row, now).truncated() for row in rows]
    return JSONResponse({"object": "list", "data": data})


async def retrieve_fine_tune(request: Request) -> Response:
    together_key(request)
    rt = runtime(request)
    with rt.store.reading() as conn:
        job = live_job(conn, request.path_params["job_id"], rt.clock())
    return JSONResponse(job.full())


async def list_events(request: Request) -> Response:
    together_key(request)
    rt = runtime(request)
    with rt.store.reading() as conn:
        job = live_job(conn, request.path_params["job_id"], rt.clock())
    return JSONResponse({"object": "list", "data": [job.event_object(event) for event in job.events()]})


async def list_checkpoints(request: Request) -> Response:
    together_key(request)
    rt = runtime(request)
    with rt.store.reading() as conn:
        job = live_job(conn, request.path_params["job_id"], rt.clock())
    return JSONResponse({"object": "list", "data": [job.checkpoint_object(c) for c in job.checkpoints()]})


async def cancel_fine_tune(request: Request) -> Response:
    together_key(request)
    rt = runtime(request)
    now = rt.clock()
    with rt.store.transaction() as conn:
        job = live_job(conn, request.path_params["job_id"], now)
        if job.status in TERMINAL:
            raise invalid(f"Fine-tune job {job.id} is {job.status}; it cannot be cancelled.", param="id")
        if job.status != "cancel_requested":  # a repeated cancel changes nothing
            conn.execute("UPDATE together_jobs SET cancelled_at = ? WHERE id = ?", (now, job.id))
        return JSONResponse(live_job(conn, job.id, now).truncated())


async def delete_fine_tune(request: Request) -> Response:
    """Deletes a finished job and its output model (chat no longer answers with it). A job still
    running is refused (400): the spec does not say what the service does, and refusing is what
    keeps a tool honest (cancel first). ``force`` is deprecated and ignored, as by the service."""
    together_key(request)
    rt = runtime(request)
    now = rt.clock()
    with rt.store.transaction() as conn:
        job = live_job(conn, request.path_params["job_id"], now)
        if job.status not in TERMINAL:
            raise invalid(
                f"Fine-tune job {job.id} is {job.status}; cancel it before deleting it.", param="id"
            )
        conn.execute("UPDATE together_jobs SET deleted = 1 WHERE id = ?", (job.id,))
    rt.store.training_copy_path(job.id).unlink(missing_ok=True)
    return JSONResponse({"message": f"Fine-tune job {job.id} deleted."})


ROUTES = [
    Route(f"{PREFIX}/fine-tunes/models/limits", model_limits, methods=["GET"]),
    Route(f"{PREFIX}/fine-tunes/models/supported", supported_models, methods=["GET"]),
    Route(f"{PREFIX}/fine-tunes/estimate-price", estimate_price, methods=["POST"]),
    Route(f"{PREFIX}/fine-tunes", create_fine_tune, methods=["POST"]),
    Route(f"{PREFIX}/fine-tunes", list_fine_tunes, methods=["GET"]),
    Route(f"{PREFIX}/fine-tunes/{{job_id}}", retrieve_fine_tune, methods=["GET"]),
    Route(f"{PREFIX}/fine-tunes/{{job_id}}", delete_fine_tune, methods=["DELETE"]),
    Route(f"{PREFIX}/fine-tunes/{{job_id}}/events", list_events, methods=["GET"]),
    Route(f"{PREFIX}/fine-tunes/{{job_id}}/checkpoints", list_checkpoints, methods=["GET"]),
    Route(f"{PREFIX}/fine-tunes/{{job_id}}/cancel", cancel_fine_tune, methods=["POST"]),
]
