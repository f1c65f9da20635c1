"""/_emulator/...: controls for tests and demos, outside the OpenAI API and its log.

GET    /_emulator/requests            the request log (JSON list)
DELETE /_emulator/requests            clear it
GET    /_emulator/faults              the fault spec in force
PUT    /_emulator/faults              {"spec": "429:0.1"} (null or "" to turn faults off)
PUT    /_emulator/non_owner_keys      {"keys": ["key-a"]}: these keys lack the Owner role
PUT    /_emulator/shutdown_dates      {"model": "...", "shutdown_date": "2026-10-14" | null}
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ftops.emulator.apierrors import invalid
from ftops.emulator.http import json_object, runtime
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


ROUTES = [
    Route("/_emulator/requests", get_requests, methods=["GET"]),
    Route("/_emulator/requests", clear_requests, methods=["DELETE"]),
    Route("/_emulator/faults", get_faults, methods=["GET"]),
    Route("/_emulator/faults", put_faults, methods=["PUT"]),
    Route("/_emulator/non_owner_keys", put_non_owner_keys, methods=["PUT"]),
    Route("/_emulator/shutdown_dates", put_shutdown_date, methods=["PUT"]),
]
