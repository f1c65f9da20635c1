"""Building the SDK client: keys only from the environment, one clear error when missing,
``--provider`` overriding the manifests, the embedded emulator over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftops import errors
from ftops.provider import effective_provider
from ftops.provider.azure.client import connect as connect_azure
from ftops.provider.openai.client import connect
from ftops.resources import ProviderConfig
from ftops.workflow import EMULATOR_PLACEHOLDER_KEY, open_provider

KEY_VARS = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "AZURE_OPENAI_ENDPOINT",
            "OPENAI_API_VERSION", "OPENAI_BASE_URL")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)


def test_openai_without_a_key_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(errors.AuthenticationError) as caught:
        connect(ProviderConfig(type="openai"))
    assert "OPENAI_API_KEY is not set" in str(caught.value)


def test_openai_client_takes_the_manifests_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-abcdefghijklmnop")
    config = ProviderConfig(
        type="openai", base_url="http://127.0.0.1:9/v1", organization="org-1", project="p-1"
    )
    connection = connect(config)
    try:
        assert str(connection.client.base_url).startswith("http://127.0.0.1:9/v1")
        assert connection.client.organization == "org-1" and connection.client.project == "p-1"
        assert connection.client.max_retries == 0  # ftops does its own retries
        assert "sk-test" not in connection.description
    finally:
        connection.close()


def test_azure_needs_an_endpoint_and_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(errors.UsageError, match="endpoint"):
        connect_azure(ProviderConfig(type="azure"))
    config = ProviderConfig(
        type="azure", endpoint="https://example.invalid", api_version="2025-04-01-preview"
    )
    with pytest.raises(errors.AuthenticationError, match="AZURE_OPENAI_API_KEY"):
        connect_azure(config)
    monkeypatch.setenv("AZURE_OPENAI_AD_TOKEN", "entra-token-value")
    connection = connect_azure(config)
    try:
        assert connection.description == "azure https://example.invalid"
        assert "example.invalid" in str(connection.client.base_url)
    finally:
        connection.close()


def test_provider_override() -> None:
    manifests = ProviderConfig(type="openai", base_url="http://x/v1")
    assert effective_provider(manifests, None) is manifests
    assert effective_provider(manifests, "openai") is manifests
    assert effective_provider(manifests, "emulator") == ProviderConfig(type="emulator")
    with pytest.raises(errors.UsageError, match="unknown provider"):
        effective_provider(manifests, "bedrock")


def test_the_embedded_emulator_is_real_http_with_a_placeholder_key(tmp_path: Path) -> None:
    with open_provider(ProviderConfig(type="openai"), tmp_path, "emulator") as provider:
        assert provider.description.startswith("emulator http://127.0.0.1:")
        models = provider.list_models()
        assert models and provider.request_count == 1
        assert provider.mutating_request_count == 0
        assert (tmp_path / ".ftops" / "emulator").is_dir()
    assert EMULATOR_PLACEHOLDER_KEY.startswith("ftops-")
