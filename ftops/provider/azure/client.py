"""The SDK client for Azure OpenAI: an endpoint and an api-version from the manifests (or the
environment), a key or an Entra token from the environment."""

from __future__ import annotations

import os

import openai

from ftops.errors import AuthenticationError, UsageError
from ftops.provider.openai.client import Connection, RequestCounter, http_client, sdk_options
from ftops.provider.types import Endpoint
from ftops.resources import ProviderConfig


def connect(config: ProviderConfig, endpoint: Endpoint | None = None) -> Connection:
    """``endpoint`` (a gateway, or the emulator's Azure path) stands in for provider.endpoint."""
    azure_endpoint = (endpoint.base_url if endpoint is not None else None) or config.endpoint \
        or os.environ.get("AZURE_OPENAI_ENDPOINT")
    api_version = config.api_version or os.environ.get("OPENAI_API_VERSION")
    if not azure_endpoint or not api_version:
        raise UsageError(
            "the azure provider needs provider.endpoint and provider.api_version in the manifests "
            "(or AZURE_OPENAI_ENDPOINT and OPENAI_API_VERSION in the environment)"
        )
    key = os.environ.get("AZURE_OPENAI_API_KEY", "").strip()
    token = os.environ.get("AZURE_OPENAI_AD_TOKEN", "").strip()
    if not key and not token and endpoint is not None and endpoint.placeholder_key is not None:
        key = endpoint.placeholder_key
    if not key and not token:
        raise AuthenticationError(
            "AZURE_OPENAI_API_KEY is not set (nor an Entra token in AZURE_OPENAI_AD_TOKEN): "
            "the azure provider needs one in the environment"
        )
    counter = RequestCounter()
    client = openai.AzureOpenAI(
        azure_endpoint=azure_endpoint,
        api_version=api_version,
        api_key=key or None,
        azure_ad_token=token or None,
        http_client=http_client(counter),
        **sdk_options(),
    )
    label = endpoint.label if endpoint is not None else "azure"
    return Connection(
        client, f"{label} {azure_endpoint}", counter,
        endpoint.max_poll_interval_s if endpoint is not None else None,
    )
