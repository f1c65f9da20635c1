"""Build the one SDK client ftops talks through: OpenAI, Azure OpenAI, or the embedded emulator.

All three go through the same ``openai`` SDK over real HTTP; the emulator is only
a different base URL (started in-process, data kept under the project's
``.ftops/emulator/``). Keys come only from the environment.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import httpx2
import openai

from ftops.errors import AuthenticationError, UsageError
from ftops.resources import ProviderConfig

if TYPE_CHECKING:
    from ftops.emulator import RunningEmulator

PROVIDER_TYPES: Final = ("openai", "azure", "emulator")
# The emulator accepts any bearer key; this one is used when OPENAI_API_KEY is unset.
EMULATOR_PLACEHOLDER_KEY: Final = "ftops-emulator-key"
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
    emulator: RunningEmulator | None = None

    def close(self) -> None:
        self.client.close()
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None


def effective_provider(config: ProviderConfig, override: str | None) -> ProviderConfig:
    """The manifests' provider, or the one ``--provider`` names (keeping the manifests' settings
    when the type is the same)."""
    if override is None or override == config.type:
        return config
    if override not in PROVIDER_TYPES:
        raise UsageError(f"unknown provider {override!r}: use one of {', '.join(PROVIDER_TYPES)}")
    return ProviderConfig(type=override)  # type: ignore[arg-type]


def _http_client(counter: RequestCounter) -> httpx2.Client:
    return openai.DefaultHttpxClient(timeout=DEFAULT_TIMEOUT, event_hooks={"request": [counter.on_request]})


def _require_env(name: str, provider: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise AuthenticationError(
            f"{name} is not set: the {provider} provider needs an API key in the environment",
            hint=f"export {name}=... (keys are never read from manifests)",
        )
    return value


def connect(config: ProviderConfig, project_root: Path) -> Connection:
    """An SDK client for ``config`` (already resolved with ``effective_provider``)."""
    counter = RequestCounter()
    common: dict[str, Any] = {"max_retries": 0, "timeout": DEFAULT_TIMEOUT}
    if config.type == "openai":
        key = _require_env("OPENAI_API_KEY", "openai")
        client = openai.OpenAI(
            api_key=key,
            base_url=config.base_url,  # None: the SDK's default (or OPENAI_BASE_URL)
            organization=config.organization,
            project=config.project,
            http_client=_http_client(counter),
            **common,
        )
        return Connection(client, f"openai {client.base_url}", counter)
    if config.type == "azure":
        endpoint = config.endpoint or os.environ.get("AZURE_OPENAI_ENDPOINT")
        api_version = config.api_version or os.environ.get("OPENAI_API_VERSION")
        if not endpoint or not api_version:
            raise UsageError(
                "the azure provider needs provider.endpoint and provider.api_version in the manifests "
                "(or AZURE_OPENAI_ENDPOINT and OPENAI_API_VERSION in the environment)"
            )
        key = os.environ.get("AZURE_OPENAI_API_KEY", "").strip()
        token = os.environ.get("AZURE_OPENAI_AD_TOKEN", "").strip()
        if not key and not token:
            raise AuthenticationError(
                "AZURE_OPENAI_API_KEY is not set (nor an Entra token in AZURE_OPENAI_AD_TOKEN): "
                "the azure provider needs one in the environment"
            )
        azure = openai.AzureOpenAI(
            azure_endpoint=endpoint,
            api_version=api_version,
            api_key=key or None,
            azure_ad_token=token or None,
            http_client=_http_client(counter),
            **common,
        )
        return Connection(azure, f"azure {endpoint}", counter)
    if config.type == "emulator":
        from ftops.emulator import EmulatorConfig, embedded_speed, start_background

        data_dir = project_root / ".ftops" / "emulator"
        data_dir.mkdir(parents=True, exist_ok=True)
        running = start_background(EmulatorConfig(data_dir=data_dir, speed=embedded_speed()))
        try:
            key = os.environ.get("OPENAI_API_KEY", "").strip() or EMULATOR_PLACEHOLDER_KEY
            client = openai.OpenAI(
                api_key=key, base_url=running.base_url, http_client=_http_client(counter), **common
            )
        except BaseException:
            running.stop()
            raise
        return Connection(client, f"emulator {running.base_url}", counter, running)
    raise UsageError(f"unknown provider {config.type!r}: use one of {', '.join(PROVIDER_TYPES)}")
