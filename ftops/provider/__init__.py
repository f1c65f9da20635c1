"""The provider: the only package that imports ``openai``.

It builds the SDK client (OpenAI, Azure OpenAI, or the embedded emulator), runs
each operation with the right retry rule, maps SDK errors to ``ftops.errors``
and returns frozen ftops values. ``open_provider`` is the entry point.
"""

from __future__ import annotations

from pathlib import Path

from ftops.provider.api import Provider
from ftops.provider.client import Connection, RequestCounter, connect, effective_provider
from ftops.provider.convert import JobEvent
from ftops.provider.refresh import refresh
from ftops.provider.retry import RetryPolicy
from ftops.resources import ProviderConfig


def open_provider(config: ProviderConfig, project_root: Path, override: str | None = None) -> Provider:
    """A ready ``Provider`` for the manifests' provider, or the one ``--provider`` names.
    Close it (or use it as a context manager): it may own an embedded emulator."""
    return Provider(connect(effective_provider(config, override), project_root))


__all__ = [
    "Connection",
    "JobEvent",
    "Provider",
    "RequestCounter",
    "RetryPolicy",
    "connect",
    "effective_provider",
    "open_provider",
    "refresh",
]
