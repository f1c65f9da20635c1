"""The one ``together`` SDK client the Together adapter talks through, and its request counter.

Keys come only from ``TOGETHER_API_KEY``. ``base_url`` (the provider block's, or the
``Endpoint`` the composition root passes for the emulator) means what the SDK's
``base_url`` means: the root without ``/v1``, which the SDK adds to every path itself
(``http://127.0.0.1:PORT/together`` for the emulator). The SDK's own retries are off:
``ftops.provider.retry`` decides what may be repeated.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import httpx

from ftops.provider.openai.client import RequestCounter, require_env
from ftops.provider.types import Endpoint
from ftops.resources import ProviderConfig

if TYPE_CHECKING:
    from together import Together

KEY_VARIABLE: Final = "TOGETHER_API_KEY"
# Reads are small; an upload's PUT streams the whole file, so the write/read timeouts are generous.
DEFAULT_TIMEOUT: Final = httpx.Timeout(120.0, connect=10.0)


@dataclass
class Connection:
    client: Together
    description: str  # e.g. "emulator http://127.0.0.1:PORT/together"; never holds a key
    counter: RequestCounter
    max_poll_interval_s: float | None = None  # an endpoint's own (the emulator: 0.5 s)

    def close(self) -> None:
        self.client.close()


def connect(config: ProviderConfig, endpoint: Endpoint | None = None) -> Connection:
    """An SDK client for Together AI, or for ``endpoint`` (a gateway, the emulator) when given."""
    from together import Together

    counter = RequestCounter()
    if endpoint is not None and endpoint.placeholder_key is not None:
        key = os.environ.get(KEY_VARIABLE, "").strip() or endpoint.placeholder_key
    else:
        key = require_env(KEY_VARIABLE, "together")
    http = httpx.Client(timeout=DEFAULT_TIMEOUT, event_hooks={"request": [counter.on_request]})
    client = Together(
        api_key=key,
        # None: the SDK's default (or TOGETHER_BASE_URL)
        base_url=endpoint.base_url if endpoint is not None else config.base_url,
        http_client=http,
        max_retries=0,
        timeout=DEFAULT_TIMEOUT,
    )
    label = endpoint.label if endpoint is not None else "together"
    base = str(client.base_url).rstrip("/")
    return Connection(client, f"{label} {base}", counter,
                      endpoint.max_poll_interval_s if endpoint is not None else None)
