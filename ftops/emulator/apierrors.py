"""Errors as the service sends them: ``{"error": {"type", "message", "param", "code"}}``.

Handlers raise ``ApiError``; one exception handler in ``app`` turns it into the
JSON body and status, so no handler builds an error response by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"error": {"type": self.type, "message": self.message, "param": self.param, "code": self.code}}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def invalid(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    """400: a request the service would refuse, naming the offending parameter."""
    return ApiError(400, message, param=param, code=code)


def not_found(kind: str, object_id: str, param: str | None = None) -> ApiError:
    return ApiError(404, f"No such {kind}: '{object_id}'", param=param, code=None)


def rate_limited(retry_after_s: float) -> ApiError:
    # retry-after-ms lets clients (the openai SDK reads it first) wait less than a second.
    return ApiError(
        429,
        "Rate limit reached for requests (simulated by the ftops emulator).",
        type="requests",
        code="rate_limit_exceeded",
        headers={
            "Retry-After": str(max(0, round(retry_after_s))),
            "retry-after-ms": str(int(retry_after_s * 1000)),
        },
    )


def server_error(message: str = "The server had an error while processing your request.") -> ApiError:
    return ApiError(500, message, type="server_error", code="server_error")
