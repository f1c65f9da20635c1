"""/_emulator/...: controls for tests and demos, outside the OpenAI API and its log.

GET    /_emulator/requests            the request log (JSON list)
DELETE /_emulator/requests            clear it
GET    /_emulator/faults              the fault spec in force
PUT    /_emulator/faults              {"spec": "429:0.1"} (null or "" to turn faults off)
PUT    /_emulator/non_owner_keys      {"keys": ["key-a"]}: these keys lack the Owner role
PUT    /_emulator/shutdown_dates      {"model": "...", "shutdown_date": "2026-10-14" | null}
PUT    /_emulator/job_cutoff          {"job_cutoff": "2027-01-06" | null}: no job creates from that day
PUT    /_emulator/training_downloads  {"refuse": true}: training files' content answers 400
POST   /_emulator/planted_models      {"model": BASE, "training_file": FILE_ID, "suffix": S,
                                       "n_epochs": N (optional)}: a model "made by hand" (``plant``)
"""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ftops.emulator.apierrors import invalid
from ftops.emulator.cutoff import parse_job_cutoff
from ftops.emulator.http import json_object, runtime
from ftops.emulator.plant import plant
from ftops.errors import UsageError

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


async def get_requests(request: Request) -> Response:
    return JSONResponse([record.to_json() for record in runtime(request).log.records()])


async def clear_requests(request: Request) -> Response:
    runtime(request).log.clear()
    return JSONResponse({"cleared": True})


async def get_faults(request: Request) -> Response:
    return JSONResponse({"spec": runtime(request).faults.spec})


async def put_faults(request: Request) -> Response:
    spec = (await json_object(request)).get("spec")
    if spec is not None and not isinstance(spec, str):
        raise invalid("'spec' must be a string or null.", param="spec")
    try:
        runtime(request).faults.set_spec(spec)
    except UsageError as error:
        raise invalid(str(error), param="spec") from None
    return JSONResponse({"spec": spec})


async def put_non_owner_keys(request: Request) -> Response:
    keys = (await json_object(request)).get("keys")
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise invalid("'keys' must be a list of strings.", param="keys")
    rt = runtime(request)
    rt.non_owner_keys.clear()
    rt.non_owner_keys.update(keys)
    return JSONResponse({"count": len(keys)})


async def put_shutdown_date(request: Request) -> Response:
    body = await json_object(request)
    model, date = body.get("model"), body.get("shutdown_date")
    if not isinstance(model, str) or not model:
        raise invalid("'model' must be a model id.", param="model")
    if date is not None and (not isinstance(date, str) or not _DATE.match(date)):
        raise invalid("'shutdown_date' must be YYYY-MM-DD or null.", param="shutdown_date")
    with runtime(request).store.transaction() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO shutdown_dates (model, shutdown_date) VALUES (?, ?)", (model, date)
        )
    return JSONResponse({"model": model, "shutdown_date": date})


async def put_job_cutoff(request: Request) -> Response:
    value = (await json_object(request)).get("job_cutoff")
    if value is not None and (not isinstance(value, str) or not _DATE.match(value)):
        raise invalid("'job_cutoff' must be YYYY-MM-DD or null.", param="job_cutoff")
    try:
        runtime(request).job_cutoff = parse_job_cutoff(value) if value else None
    except UsageError as error:
        raise invalid(str(error), param="job_cutoff") from None
    return JSONResponse({"job_cutoff": value})


async def put_clock(request: Request) -> Response:
    """Move the deployment clock forward (``{"advance_s": N}``): what a test does to see Azure's
    15-day idle deletion of a deployment without waiting 15 days."""
    from ftops.emulator.azure_arm import advance_clock

    seconds = (await json_object(request)).get("advance_s")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
        raise invalid("'advance_s' must be a number of seconds, 0 or more.", param="advance_s")
    return JSONResponse({"offset_s": advance_clock(runtime(request).store, float(seconds))})


async def put_training_downloads(request: Request) -> Response:
    refuse = (await json_object(request)).get("refuse")
    if not isinstance(refuse, bool):
        raise invalid("'refuse' must be true or false.", param="refuse")
    runtime(request).refuse_training_downloads = refuse
    return JSONResponse({"refuse": refuse})


async def post_planted_model(request: Request) -> Response:
    body = await json_object(request)
    base, training_file = body.get("model"), body.get("training_file")
    suffix, n_epochs = body.get("suffix"), body.get("n_epochs")
    if not isinstance(base, str) or not base:
        raise invalid("'model' must be a base model id.", param="model")
    if not isinstance(training_file, str) or not training_file:
        raise invalid("'training_file' must be the id of an uploaded file.", param="training_file")
    if suffix is not None and not isinstance(suffix, str):
        raise invalid("'suffix' must be a string or null.", param="suffix")
    if n_epochs is not None and (not isinstance(n_epochs, int) or isinstance(n_epochs, bool)):
        raise invalid("'n_epochs' must be an integer or null.", param="n_epochs")
    # Reading the training file stays off the event loop; the store's lock is thread-safe.
    planted = await run_in_threadpool(plant, runtime(request), base, training_file, suffix, n_epochs)
    return JSONResponse(planted.to_json())


ROUTES = [
    Route("/_emulator/requests", get_requests, methods=["GET"]),
    Route("/_emulator/requests", clear_requests, methods=["DELETE"]),
    Route("/_emulator/faults", get_faults, methods=["GET"]),
    Route("/_emulator/faults", put_faults, methods=["PUT"]),
    Route("/_emulator/non_owner_keys", put_non_owner_keys, methods=["PUT"]),
    Route("/_emulator/shutdown_dates", put_shutdown_date, methods=["PUT"]),
    Route("/_emulator/job_cutoff", put_job_cutoff, methods=["PUT"]),
    Route("/_emulator/clock", put_clock, methods=["PUT"]),
    Route("/_emulator/training_downloads", put_training_downloads, methods=["PUT"]),
    Route("/_emulator/planted_models", post_planted_model, methods=["POST"]),
]
