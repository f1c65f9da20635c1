"""What Together's routes share: the path prefix, the bearer key, Together's own error answers."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from ftops.emulator.apierrors import ApiError, invalid
from ftops.emulator.http import json_object, runtime

# The SDK adds /v1 itself: Together(base_url=ROOT + "/together") sends ROOT/together/v1/...
PREFIX = "/together/v1"
# The 3.1.1 SDK sends endpoints and hardware to /v2 (FINE_TUNING.md): ROOT/together/v2/...
V2_PREFIX = "/together/v2"
# Where the SDK's upload PUTs its bytes (the service's presigned storage URL): outside the API.
STORAGE_PREFIX = "/together/storage"


def together_key(request: Request) -> str:
    """The bearer key (any value not revoked), or 401 as Together answers a request without one."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip() or key.strip() in runtime(request).revoked_keys:
        raise ApiError(
            401,
            "Invalid API key provided. Pass your Together API key as 'Authorization: Bearer KEY'.",
            param=None,
            code="invalid_api_key",
        )
    return key.strip()


def file_not_found(file_id: str) -> ApiError:
    return ApiError(404, f"File {file_id} not found.", param="id", code="not_found")


async def together_json(request: Request) -> dict[str, Any]:
    """The JSON object body; an unreadable one is a 400 that does not speak of OpenAI."""
    try:
        return await json_object(request)
    except ApiError as error:
        if error.status != 400:
            raise
        raise invalid("The request body must be a JSON object.") from None
