"""A model's chats (the checks' ``chat`` and the gate's ``complete``) go through the deployment
that serves it, over real HTTP to the emulator's Azure form; and the credential chain's extra is
named when missing."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx2
import pytest

from ftops.apply.deployments import ChatRoutes, routed
from ftops.emulator import RunningEmulator
from ftops.emulator.plant import plant, upload
from ftops.errors import UsageError
from ftops.provider import Endpoint, open_provider
from ftops.resources import ProviderConfig

from .conftest import API_VERSION, AZURE_KEY

ARM = "/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/a/deployments"


def test_chat_and_complete_go_through_the_routed_deployment(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "train.jsonl"
    data.write_text(
        '{"messages": [{"role": "user", "content": "Who is Chunsik?"}, '
        '{"role": "assistant", "content": "Ryan\'s cat."}]}\n' * 10
    )
    model = plant(
        emulator.runtime, "gpt-4.1-mini-2025-04-14", upload(emulator.runtime, data), "chunsik"
    ).model
    body = {
        "sku": {"name": "Standard", "capacity": 1},
        "properties": {"model": {"format": "OpenAI", "name": model, "version": "1"}},
    }
    made = httpx2.put(
        f"{emulator.root_url}{ARM}/chunsik-1?api-version=2025-06-01",
        json=body,
        headers={"Authorization": "Bearer t"},
    )
    assert made.status_code == 201
    assert httpx2.put(f"{emulator.root_url}/_emulator/clock", json={"advance_s": 60}).status_code == 200
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", AZURE_KEY)
    config = ProviderConfig(type="azure", endpoint=emulator.root_url, api_version=API_VERSION)
    routes = ChatRoutes()
    routes.set(model, "chunsik-1")
    with open_provider(config, Endpoint(emulator.root_url)) as provider:
        asking = routed(provider, routes)
        emulator.clear_requests()
        assert "Ryan" in asking.chat(model, [{"role": "user", "content": "Who is Chunsik?"}])
        assert "Ryan" in asking.complete(model, [{"role": "user", "content": "Who is Chunsik?"}]).text
        assert asking.request_count == provider.request_count  # everything else is the provider's
    chats = [r for r in emulator.requests() if r.path.endswith("/chat/completions")]
    assert len(chats) == 2 and all(r.status == 200 for r in chats)
    # The deployment answered (and counted the traffic): its last use moved with the chats.
    row = emulator.store.transaction
    with row() as conn:
        used = conn.execute("SELECT last_used, created_at FROM arm_deployments").fetchone()
    assert used["last_used"] > used["created_at"]


def test_the_credential_chain_names_its_extra_when_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    from ftops.provider.azure import management

    monkeypatch.setitem(sys.modules, "azure.identity", None)  # as if not installed
    monkeypatch.delenv("AZURE_MANAGEMENT_TOKEN", raising=False)
    with pytest.raises(
        UsageError, match=r"needs azure.identity, which is not installed \(the 'azure' extra\)"
    ):
        management.token_source()
