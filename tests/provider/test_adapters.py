"""What each adapter knows that nothing else may: its status words, where it keeps a job's
identity, how its model ids name their base, what it can do; and the registry that picks it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ftops import errors
from ftops.datasets.models import base_model
from ftops.provider import JobIdentity, JobPhase, effective_provider, naming_of, open_provider
from ftops.provider.azure.adapter import AzureOpenAIProvider
from ftops.provider.openai.adapter import OpenAIProvider
from ftops.provider.openai.convert import observed_file, observed_job
from ftops.provider.types import HostingModel, JobIdentityStore
from ftops.resources import ProviderConfig
from ftops.secrets import SECRET_ENV_VARS
from ftops.workflow import open_provider as open_for_project


class Obj(dict[str, Any]):
    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def job_json(status: str, metadata: dict[str, str] | None = None) -> Obj:
    return Obj({"id": "ftjob-1", "status": status, "model": "gpt-4o-mini-2024-07-18",
                "training_file": "file-1", "created_at": 5, "metadata": metadata})


@pytest.mark.parametrize(
    ("status", "phase"),
    [("validating_files", JobPhase.VALIDATING), ("queued", JobPhase.QUEUED), ("running", JobPhase.RUNNING),
     ("pausing", JobPhase.PAUSED), ("paused", JobPhase.PAUSED), ("succeeded", JobPhase.SUCCEEDED),
     ("failed", JobPhase.FAILED), ("cancelled", JobPhase.CANCELLED),
     ("something_new", JobPhase.RUNNING)],  # unknown: still active, the safe side
)
def test_openai_statuses_become_phases_and_keep_their_word(status: str, phase: JobPhase) -> None:
    job = observed_job(job_json(status))
    assert job.phase is phase and job.status == status


def test_openai_identity_is_read_from_ftops_metadata_tags() -> None:
    tagged = observed_job(job_json("running", {"ftops_project": "p", "ftops_resource": "jobs.x",
                                               "ftops_inputs": "ab" * 32, "team": "t"}))
    assert tagged.identity == JobIdentity("p", "jobs.x", "ab" * 32)
    assert observed_job(job_json("running", {"team": "t"})).identity is None  # not ftops's
    assert observed_job(job_json("running")).identity is None


@pytest.mark.parametrize(("status", "usable"), [("processed", True), ("uploaded", True), ("error", False),
                                               ("deleted", False)])
def test_openai_file_statuses_say_whether_a_file_can_be_trained_on(status: str, usable: bool) -> None:
    file = observed_file(Obj({"id": "file-1", "filename": "f.jsonl", "bytes": 3, "purpose": "fine-tune",
                              "status": status, "created_at": 1}))
    assert file.usable is usable and file.status == status


def test_model_ids_name_their_base_in_each_services_form() -> None:
    openai_names, azure_names = naming_of("openai"), naming_of("azure")
    assert openai_names.base_model_of("ft:gpt-4o-mini-2024-07-18:org:chunsik:abc") == "gpt-4o-mini-2024-07-18"
    assert openai_names.base_model_of("gpt-4o-mini-2024-07-18") is None
    azure_id = "gpt-4.1-mini-2025-04-14.ft-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    assert azure_names.base_model_of(azure_id) == "gpt-4.1-mini-2025-04-14"
    assert openai_names.base_model_of(azure_id) is None
    # Offline (token counts, prices), every known form resolves: Azure ids used to keep the full id.
    assert base_model(azure_id) == "gpt-4.1-mini-2025-04-14"
    assert base_model("ft:gpt-4o-mini-2024-07-18:org::x") == "gpt-4o-mini-2024-07-18"
    assert naming_of("emulator").looks_like_job_id("ftjob-abc")
    assert not naming_of("openai").looks_like_job_id("jobs.chunsik")


def test_the_registry_picks_the_adapter_by_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-abcdefghijklmnop")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-test-key-0123456789")
    with open_provider(ProviderConfig(type="openai", base_url="http://127.0.0.1:9/v1")) as openai_provider:
        assert type(openai_provider) is OpenAIProvider
        capabilities = openai_provider.capabilities
        assert capabilities.identity_store is JobIdentityStore.SERVER_FILTERED_TAGS
        assert capabilities.hosting == {HostingModel.SERVERLESS}
        assert capabilities.newest_first_job_listing and capabilities.max_poll_interval_s == 15.0
    azure = ProviderConfig(type="azure", endpoint="https://example.invalid", api_version="2025-04-01-preview")
    with open_provider(azure) as azure_provider:
        assert type(azure_provider) is AzureOpenAIProvider
        assert azure_provider.capabilities.hosting == {HostingModel.DEPLOYMENT}
        assert "AZURE_OPENAI_API_KEY" in azure_provider.capabilities.secret_env_vars
    with pytest.raises(errors.UsageError, match="needs a running emulator"):
        open_provider(ProviderConfig(type="emulator"))
    with pytest.raises(errors.UsageError, match="unknown provider"):
        effective_provider(ProviderConfig(), "bedrock")


@pytest.mark.parametrize("adapter", [OpenAIProvider, AzureOpenAIProvider])
def test_every_variable_an_adapter_takes_a_key_from_is_redacted(adapter: type[OpenAIProvider]) -> None:
    assert set(adapter.CAPABILITIES.secret_env_vars) <= set(SECRET_ENV_VARS)


def test_the_composition_root_starts_the_emulator_and_polls_it_often(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with open_for_project(ProviderConfig(type="openai"), tmp_path, "emulator") as provider:
        assert type(provider) is OpenAIProvider  # the emulator speaks OpenAI's API
        assert provider.capabilities.max_poll_interval_s == 0.5
        assert provider.description.startswith("emulator http://127.0.0.1:")
        assert provider.list_models()
