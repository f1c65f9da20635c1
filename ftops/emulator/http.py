"""Request helpers shared by the route modules: the key, the JSON body, query numbers."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from ftops.emulator.apierrors import ApiError, invalid
from ftops.emulator.runtime import Runtime


def runtime(request: Request) -> Runtime:
    value: Runtime = request.app.state.runtime
    return value


def api_key(request: Request) -> str:
    """The bearer key, or 401 as the service answers a request without one."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(
            401,
            "You didn't provide an API key. You need to provide your API key in an Authorization "
            "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            code="missing_api_key" if not header else "invalid_api_key",
        )
    key = key.strip()
    if key in runtime(request).revoked_keys:
        raise ApiError(
            401,
            f"Incorrect API key provided: {masked_key(key)}. You can find your API key in your "
            "account's API keys page.",
            code="invalid_api_key",
        )
    return key


def masked_key(key: str) -> str:
    """A key as the service quotes a wrong one: its first and last few characters only."""
    if len(key) < 12:
        return "*" * len(key)
    return key[:3] + "*" * (len(key) - 7) + key[-4:]


MAX_JSON_BYTES = 4 * 1024 * 1024  # JSON bodies here are small; a huge one is refused, not buffered


async def _bounded_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_JSON_BYTES:
        raise invalid(f"The request body is too large (at most {MAX_JSON_BYTES} bytes).")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_JSON_BYTES:
            raise invalid(f"The request body is too large (at most {MAX_JSON_BYTES} bytes).")
        chunks.append(chunk)
    return b"".join(chunks)


async def json_object(request: Request) -> dict[str, Any]:
    body = await _bounded_body(request)
    try:
        value = json.loads(body) if body else None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        value = None
        raise invalid(
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
            "using your HTTP library correctly. The OpenAI API expects a JSON payload.)"
        ) from None
    if not isinstance(value, dict):
        raise invalid("The request body must be a JSON object.")
    return value


def query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"Invalid '{name}': expected an integer, got {raw!r}.", param=name) from None
    if not low <= value <= high:
        raise invalid(f"Invalid '{name}': must be between {low} and {high}.", param=name)
    return value
