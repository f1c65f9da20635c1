"""Azure OpenAI's form of the same API, in front of the emulator's ``/v1`` routes.

The SDK's ``AzureOpenAI`` client (``azure_endpoint=ROOT``) sends:

- ``ROOT/openai/files``, ``/openai/uploads``, ``/openai/fine_tuning/jobs``, ``/openai/models``...
  for everything that is not inference;
- ``ROOT/openai/deployments/{deployment}/chat/completions`` for a chat: on Azure a model
  answers only through a *deployment*, named by whoever created it;
- an ``api-version`` query parameter on every request, and the key in an ``api-key`` header
  (or an Entra ID token as ``Authorization: Bearer``).

This layer checks what Azure checks and answers as Azure does (a missing
``api-version`` is 404 "Resource not found", an unknown one 400 "API version not
supported", a missing or wrong key 401), then hands the request to the OpenAI
routes: the path becomes ``/v1/...``, the key becomes a bearer key (so the
Owner-role rule of model deletes still applies), and the deployment name reaches
the chat route in the request scope. The emulator has no deployments of its own:
a deployment name is taken to be the id of the model it serves (what ftops uses).
"""

from __future__ import annotations

import json
import re
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]

PREFIX: Final = "/openai/"
DEPLOYMENT_KEY: Final = "azure_deployment"  # in scope["state"], read by the chat route
FORM_KEY: Final = "azure_form"  # in scope["state"]: answer in Azure's shapes (models)
# Data-plane versions with fine-tuning (GA and preview) that the SDK and the Azure docs name.
API_VERSIONS: Final = frozenset({
    "2024-02-01", "2024-06-01", "2024-10-21",
    "2024-05-01-preview", "2024-07-01-preview", "2024-08-01-preview", "2024-09-01-preview",
    "2024-10-01-preview", "2024-12-01-preview", "2025-01-01-preview", "2025-02-01-preview",
    "2025-03-01-preview", "2025-04-01-preview",
})
_DEPLOYMENT_PATH = re.compile(r"^/openai/deployments/(?P<name>[^/]+)(?P<rest>/.*)$")
_DENIED = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid "
    "key for an active subscription and use a correct regional API endpoint for your resource."
)


async def _answer(send: Any, status: int, code: str, message: str) -> None:
    """An error in Azure's own shape: ``{"error": {"code", "message"}}``."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope.get("headers", [])}


class AzureGateway:
    """ASGI middleware: Azure-form requests are checked and rewritten; others pass untouched.

    ``api_keys``: the keys the emulated Azure resource accepts; empty accepts any key (as the
    OpenAI routes accept any bearer key). Entra ID tokens are accepted as they come: the
    emulator cannot verify one. ``revoked_keys``: the runtime's live set of keys refused everywhere."""

    def __init__(self, app: Any, api_keys: frozenset[str] = frozenset(),
                 revoked_keys: set[str] | None = None) -> None:
        self.app = app
        self.api_keys = api_keys
        self.revoked_keys: set[str] = revoked_keys if revoked_keys is not None else set()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        versions = query.get("api-version", [])
        if not versions:
            await _answer(send, 404, "404", "Resource not found")
            return
        if versions[0] not in API_VERSIONS:
            await _answer(send, 400, "BadRequest", "API version not supported")
            return
        bearer = self._bearer(scope)
        if bearer is None:
            await _answer(send, 401, "401", _DENIED)
            return
        path, deployment = scope["path"], None
        found = _DEPLOYMENT_PATH.match(path)
        if found is not None:
            deployment, path = found["name"], found["rest"]
        else:
            path = "/" + path[len(PREFIX):]
        credentials = (b"api-key", b"authorization")
        headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() not in credentials]
        headers.append((b"authorization", b"Bearer " + bearer))
        state = dict(scope.get("state") or {})
        state[FORM_KEY] = True
        if deployment is not None:
            state[DEPLOYMENT_KEY] = deployment
        inner = {**scope, "path": "/v1" + path, "raw_path": ("/v1" + path).encode(), "headers": headers,
                 "state": state}
        await self.app(inner, receive, send)

    def _bearer(self, scope: Scope) -> bytes | None:
        """The credential to pass on as a bearer key, or None to refuse the request (401)."""
        headers = _headers(scope)
        key = headers.get(b"api-key", b"").strip()
        if key:
            text = key.decode("latin-1")
            if (self.api_keys and text not in self.api_keys) or text in self.revoked_keys:
                return None
            return key
        scheme, _, token = headers.get(b"authorization", b"").partition(b" ")
        if scheme.lower() == b"bearer" and token.strip():
            return token.strip()
        return None


def is_azure(scope: Scope) -> bool:
    return bool((scope.get("state") or {}).get(FORM_KEY))


def azure_model(model: dict[str, Any]) -> dict[str, Any]:
    """A model object as Azure's listing gives it: ``created_at``, a ``status``, and the lifecycle
    in ``deprecation`` (unix seconds: ``fine_tune``, the end of training on it, and ``inference``,
    the day it stops answering) instead of OpenAI's ``shutdown_date`` and ``owned_by``."""
    out: dict[str, Any] = {"id": model["id"], "object": "model", "created_at": model["created"],
                           "status": "succeeded"}
    if model.get("shutdown_date"):
        day = datetime.fromisoformat(model["shutdown_date"]).replace(tzinfo=UTC)
        seconds = int(day.timestamp())
        out["deprecation"] = {"fine_tune": seconds, "inference": seconds}
    return out
