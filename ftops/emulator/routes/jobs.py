"""/v1/fine_tuning/jobs: create, list, retrieve, cancel, pause, resume, events, checkpoints."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ftops.emulator import job_creation
from ftops.emulator import jobs_engine as engine
from ftops.emulator.apierrors import invalid
from ftops.emulator.http import api_key, json_object, query_int, runtime
from ftops.emulator.job_requests import parse_job_request
from ftops.emulator.pagination import cursor_seq, list_body, page


async def create_job(request: Request) -> Response:
    api_key(request)
    rt = runtime(request)
    accepted = job_creation.accept(rt, parse_job_request(await json_object(request)))
    try:
        inspection = await run_in_threadpool(job_creation.inspect, accepted)
        return JSONResponse(job_creation.record(rt, accepted, inspection))
    except BaseException:
        job_creation.discard(accepted)
        raise


def _metadata_filter(request: Request) -> tuple[str, list[str]]:
    """``metadata[key]=value`` pairs all must match; ``metadata=null`` means jobs without any."""
    clauses, params = [], []
    for name, value in request.query_params.multi_items():
        if name == "metadata" and value == "null":
            clauses.append("NOT EXISTS (SELECT 1 FROM job_metadata m WHERE m.job_id = jobs.id)")
        elif name.startswith("metadata[") and name.endswith("]"):
            clauses.append(
                "EXISTS (SELECT 1 FROM job_metadata m WHERE m.job_id = jobs.id AND m.key = ? AND m.value = ?)"
            )
            params += [name[len("metadata[") : -1], value]
    return "".join(" AND " + clause for clause in clauses), params


async def list_jobs(request: Request) -> Response:
    api_key(request)
    rt = runtime(request)
    limit = query_int(request, "limit", 20, 1, 100)
    where, params = _metadata_filter(request)
    now = rt.clock()
    with rt.store.transaction() as conn:
        engine.sync_active(conn, rt, now)
        after = cursor_seq(conn, "jobs", request.query_params.get("after"))
        rows, has_more = page(
            conn, "SELECT * FROM jobs WHERE 1 = 1" + where, params, after_seq=after, limit=limit
        )
        data = [engine.job_object(row, now, rt.organization) for row in rows]
    return JSONResponse(list_body(data, has_more, with_ids=False))


def _synced_row(conn: sqlite3.Connection, request: Request, now: float) -> sqlite3.Row:
    rt = runtime(request)
    job_id = request.path_params["job_id"]
    engine.sync_job(conn, rt, engine.job_row(conn, job_id), now)
    return engine.job_row(conn, job_id)


async def retrieve_job(request: Request) -> Response:
    api_key(request)
    rt = runtime(request)
    now = rt.clock()
    with rt.store.transaction() as conn:
        row = _synced_row(conn, request, now)
        return JSONResponse(engine.job_object(row, now, rt.organization))


def _transition(
    request: Request,
    allowed: Callable[[str], bool],
    refusal: str,
    update: Callable[[sqlite3.Connection, Any, float], None],
    event: str,
) -> Response:
    """A job control request: refused (400, naming the job's status) unless ``allowed``,
    else ``update`` the row, log ``event`` and answer with the job as it is now.
    ``refusal`` is formatted with the job's ``id`` and ``status``."""
    api_key(request)
    rt = runtime(request)
    now = rt.clock()
    with rt.store.transaction() as conn:
        row = _synced_row(conn, request, now)
        status = engine.status_of(row, now)
        if not allowed(status):
            raise invalid(refusal.format(id=row["id"], status=status), param="job_id")
        update(conn, row, now)
        engine.add_event(conn, row["id"], int(now), event)
        return JSONResponse(engine.job_object(engine.job_row(conn, row["id"]), now, rt.organization))


async def cancel_job(request: Request) -> Response:
    def cancel(conn: sqlite3.Connection, row: Any, now: float) -> None:
        conn.execute("UPDATE jobs SET state = 'cancelled', ended_at = ? WHERE id = ?", (now, row["id"]))

    return _transition(
        request,
        lambda status: status not in engine.TERMINAL,
        "Job {id} has already {status}; it cannot be cancelled.",
        cancel,
        "Fine-tuning job cancelled",
    )


async def pause_job(request: Request) -> Response:
    def pause(conn: sqlite3.Connection, row: Any, now: float) -> None:
        conn.execute("UPDATE jobs SET paused_at = ? WHERE id = ?", (now, row["id"]))

    return _transition(
        request,
        lambda status: status == "running",
        "Only a running job can be paused; job {id} is {status}.",
        pause,
        "Fine-tuning job paused",
    )


async def resume_job(request: Request) -> Response:
    def resume(conn: sqlite3.Connection, row: Any, now: float) -> None:
        conn.execute(
            "UPDATE jobs SET paused_total = paused_total + ?, paused_at = NULL WHERE id = ?",
            (now - row["paused_at"], row["id"]),
        )

    return _transition(
        request,
        lambda status: status in ("paused", "pausing"),
        "Only a paused job can be resumed; job {id} is {status}.",
        resume,
        "Fine-tuning job resumed",
    )


def _event_object(event: Any) -> dict[str, Any]:
    return {
        "object": "fine_tuning.job.event",
        "id": event["id"],
        "created_at": event["created_at"],
        "level": event["level"],
        "message": event["message"],
        "type": event["type"],
        "data": json.loads(event["data"]),
    }


def _checkpoint_object(checkpoint: Any) -> dict[str, Any]:
    return {
        "object": "fine_tuning.job.checkpoint",
        "id": checkpoint["id"],
        "created_at": checkpoint["created_at"],
        "fine_tuned_model_checkpoint": checkpoint["model"],
        "fine_tuning_job_id": checkpoint["job_id"],
        "metrics": json.loads(checkpoint["metrics"]),
        "step_number": checkpoint["step"],
    }


async def _list_of_job(
    request: Request,
    table: str,
    default_limit: int,
    to_object: Callable[[Any], dict[str, Any]],
    *,
    with_ids: bool,
) -> Response:
    """One page of a job's events or checkpoints (``table``, a name from this module), after the cursor."""
    api_key(request)
    rt = runtime(request)
    limit = query_int(request, "limit", default_limit, 1, 10_000)
    with rt.store.transaction() as conn:
        row = _synced_row(conn, request, rt.clock())
        after = cursor_seq(conn, table, request.query_params.get("after"))
        rows, has_more = page(
            conn, f"SELECT * FROM {table} WHERE job_id = ?", [row["id"]], after_seq=after, limit=limit
        )
    return JSONResponse(list_body([to_object(r) for r in rows], has_more, with_ids=with_ids))


async def list_events(request: Request) -> Response:
    # The service's event list has no first_id/last_id.
    return await _list_of_job(request, "events", 20, _event_object, with_ids=False)


async def list_checkpoints(request: Request) -> Response:
    return await _list_of_job(request, "checkpoints", 10, _checkpoint_object, with_ids=True)


ROUTES = [
    Route("/v1/fine_tuning/jobs", create_job, methods=["POST"]),
    Route("/v1/fine_tuning/jobs", list_jobs, methods=["GET"]),
    Route("/v1/fine_tuning/jobs/{job_id}", retrieve_job, methods=["GET"]),
    Route("/v1/fine_tuning/jobs/{job_id}/cancel", cancel_job, methods=["POST"]),
    Route("/v1/fine_tuning/jobs/{job_id}/pause", pause_job, methods=["POST"]),
    Route("/v1/fine_tuning/jobs/{job_id}/resume", resume_job, methods=["POST"]),
    Route("/v1/fine_tuning/jobs/{job_id}/events", list_events, methods=["GET"]),
    Route("/v1/fine_tuning/jobs/{job_id}/checkpoints", list_checkpoints, methods=["GET"]),
]
