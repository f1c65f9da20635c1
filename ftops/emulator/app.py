"""The ASGI application: routes, error mapping, and the fault/log layer around it all."""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from ftops.emulator import azure_arm
from ftops.emulator.apierrors import ApiError, server_error
from ftops.emulator.azure import AzureGateway
from ftops.emulator.middleware import FaultAndLogMiddleware
from ftops.emulator.routes import admin, chat, files, jobs, models, uploads
from ftops.emulator.runtime import Runtime
from ftops.emulator.together import ROUTES as TOGETHER_ROUTES
from ftops.emulator.together import ensure_tables as ensure_together_tables

_log = logging.getLogger("ftops.emulator")


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown routes, wrong methods and unreadable multipart bodies, in the service's error shape."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"Invalid URL ({request.method} {request.url.path})"
    elif exc.status_code == 405:
        message = f"Method {request.method} not allowed for {request.url.path}"
    else:
        message = str(exc.detail)
    return JSONResponse(
        {"error": {"type": "invalid_request_error", "message": message, "param": None, "code": None}},
        status_code=exc.status_code,
    )


async def _client_gone(request: Request, exc: Exception) -> Response:
    # The client hung up mid-request: nobody is left to answer, and it is no emulator bug.
    return Response(status_code=400)


async def _crash(request: Request, exc: Exception) -> Response:
    # A bug in the emulator: answer like the service's 500 rather than with a bare page.
    _log.exception("emulator bug on %s %s", request.method, request.url.path)
    return server_error().response()


def build_app(rt: Runtime) -> Any:
    app = Starlette(
        routes=[
            *files.ROUTES,
            *uploads.ROUTES,
            *jobs.ROUTES,
            *models.ROUTES,
            *chat.ROUTES,
            *admin.ROUTES,
            *azure_arm.ROUTES,  # Azure's management plane: model deployments
            *TOGETHER_ROUTES,  # Together AI's API under /together (ftops.emulator.together)
        ],
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            ClientDisconnect: _client_gone,
            Exception: _crash,
        },
    )
    app.state.runtime = rt
    ensure_together_tables(rt.store)
    azure_arm.ensure_tables(rt.store)
    # Outermost: Azure-form requests become /v1 ones before faults and the request log see them.
    return AzureGateway(FaultAndLogMiddleware(app, rt.faults, rt.log, rt.hold), rt.azure_api_keys,
                        rt.revoked_keys)
