"""The one SDK client an OpenAI-family adapter talks through, and its request counter.

OpenAI, Azure OpenAI and any OpenAI-compatible endpoint (a gateway, or the emulator the
composition root started and passed as an ``Endpoint``) all go through the same
``openai`` SDK over real HTTP. Keys come only from the environment. The SDK's own
retries are off: ``ftops.provider.retry`` decides what may be repeated.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any, Final

import httpx2
import openai

from ftops.errors import AuthenticationError
from ftops.provider.types import Endpoint
from ftops.resources import ProviderConfig

# Reads are small; uploads stream large bodies, so the write/read timeouts are generous.
DEFAULT_TIMEOUT: Final = httpx2.Timeout(120.0, connect=10.0)
MUTATING_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A POST that changes nothing in the account: asking a model (the promotion checks, `ftops chat`).
READ_ONLY_POSTS: Final = ("/chat/completions",)


@dataclass
class RequestCounter:
    """Counts every HTTP request the client sends (retries included), for plans and benchmarks;
    ``mutating`` counts those that change the account (a chat is a POST but changes nothing)."""

    total: int = 0
    mutating: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def on_request(self, request: httpx2.Request) -> None:
        with self._lock:
            self.total += 1
            if request.method in MUTATING_METHODS and not request.url.path.endswith(READ_ONLY_POSTS):
                self.mutating += 1


@dataclass
class Connection:
    client: openai.OpenAI
    description: str  # e.g. "emulator http://127.0.0.1:PORT/v1"; never holds a key
    counter: RequestCounter
    max_poll_interval_s: float | None = None  # an endpoint's own (the emulator: 0.5 s)

    def close(self) -> None:
        self.client.close()


def http_client(counter: RequestCounter) -> httpx2.Client:
    return openai.DefaultHttpxClient(timeout=DEFAULT_TIMEOUT, event_hooks={"request": [counter.on_request]})


def sdk_options() -> dict[str, Any]:
    return {"max_retries": 0, "timeout": DEFAULT_TIMEOUT}


def require_env(name: str, provider: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise AuthenticationError(
            f"{name} is not set: the {provider} provider needs an API key in the environment",
            hint=f"export {name}=... (keys are never read from manifests)",
        )
    return value


def connect(config: ProviderConfig, endpoint: Endpoint | None = None) -> Connection:
    """An SDK client for OpenAI, or for the OpenAI-compatible ``endpoint`` when one is given."""
    counter = RequestCounter()
    if endpoint is not None and endpoint.placeholder_key is not None:
        key = os.environ.get("OPENAI_API_KEY", "").strip() or endpoint.placeholder_key
    else:
        key = require_env("OPENAI_API_KEY", "openai")
    client = openai.OpenAI(
        api_key=key,
        # None: the SDK's default (or OPENAI_BASE_URL)
        base_url=endpoint.base_url if endpoint is not None else config.base_url,
        organization=config.organization,
        project=config.project,
        http_client=http_client(counter),
        **sdk_options(),
    )
    label = endpoint.label if endpoint is not None else "openai"
    return Connection(
        client, f"{label} {client.base_url}", counter,
        endpoint.max_poll_interval_s if endpoint is not None else None,
    )
