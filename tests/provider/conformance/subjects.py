"""The providers the conformance suite runs against: one ``Subject`` each.

A subject says how to open its adapter on an emulator (the emulator's settings, the
endpoint, the retry policy the test injects) and the few facts that legitimately differ
between services and are not in its ``Capabilities``: where its API lives on the emulator
(for faults scoped to one request), a base model it fine-tunes, what a missing job id looks
like, the refusals of job creation its emulator can stage (a base model it does not fine-tune
among them), and the manifests' provider block. Everything else a test needs comes from
``provider.capabilities``.

Adding a provider to the suite is adding one ``Subject`` to ``SUBJECTS``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ftops.emulator import RunningEmulator
from ftops.errors import (
    FtopsError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
    RateLimitedError,
    UsageError,
)
from ftops.provider.azure.adapter import CAPABILITIES as AZURE_CAPABILITIES
from ftops.provider.base import FineTuningProvider
from ftops.provider.openai.adapter import CAPABILITIES as OPENAI_CAPABILITIES
from ftops.provider.retry import RetryPolicy
from ftops.provider.together.adapter import CAPABILITIES as TOGETHER_CAPABILITIES
from ftops.provider.types import Capabilities, Endpoint
from ftops.resources import ProviderConfig, TrainingKind

SPEED = 2000.0  # a default job's simulated minutes pass in a fraction of a second
AZURE_API_VERSION = "2025-04-01-preview"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refusal of job creation the service gives, staged on its emulator."""

    name: str
    stage: Callable[[RunningEmulator], None]  # set the emulator up to refuse (reset after the test)
    model: str  # the base model the refused job asks for
    error: type[FtopsError]  # the one ftops.errors class it must become
    words: str  # what the one line must say
    training: TrainingKind | None = None  # the job's LoRA or full training, where it matters


@dataclass(frozen=True, slots=True)
class Subject:
    name: str
    capabilities: Capabilities  # the adapter's own, before it is opened (where its key comes from)
    open: Callable[[RunningEmulator, RetryPolicy], FineTuningProvider]
    manifest_provider: Callable[[RunningEmulator], str]  # the manifests' provider: block (YAML)
    # Path globs on the emulator (fault and hold scopes): the POST that creates a job, and the POST
    # whose answer completes an upload (the file is usable once it is done).
    job_create_path: str
    file_upload_path: str
    jobs_table: str  # the emulator's table of this service's jobs (the ground truth of counts)
    base_model: str  # a base model the service fine-tunes (cheaply: chat, a few examples)
    missing_job_id: str  # a well-formed job id no job has
    refusals: tuple[Refusal, ...] = ()
    emulator_options: Mapping[str, Any] = field(default_factory=dict)  # EmulatorConfig settings

    @property
    def key_env(self) -> str:
        """The variable the adapter reads its key from first."""
        return self.capabilities.secret_env_vars[0]

    def count_jobs(self, emulator: RunningEmulator) -> int:
        """Every job the emulator's store holds for this service, whoever created it."""
        with emulator.store.reading() as conn:
            row: sqlite3.Row = conn.execute(f"SELECT COUNT(*) FROM {self.jobs_table}").fetchone()
        return int(row[0])


# ---- OpenAI and Azure OpenAI -----------------------------------------------------------------


def _open_openai(emulator: RunningEmulator, retry: RetryPolicy) -> FineTuningProvider:
    from ftops.provider.openai import client
    from ftops.provider.openai.adapter import OpenAIProvider

    connection = client.connect(ProviderConfig(type="openai", base_url=emulator.base_url))
    return OpenAIProvider(connection, retry=retry)


def _open_azure(emulator: RunningEmulator, retry: RetryPolicy) -> FineTuningProvider:
    from ftops.provider.azure import client
    from ftops.provider.azure.adapter import AzureOpenAIProvider

    config = ProviderConfig(type="azure", endpoint=emulator.root_url, api_version=AZURE_API_VERSION)
    endpoint = Endpoint(emulator.root_url, label="emulator")
    return AzureOpenAIProvider(client.connect(config, endpoint), retry=retry)


def _refuse_model(kind: str, model: str) -> Callable[[RunningEmulator], None]:
    from ftops.emulator.refusals import parse_refusal

    def stage(emulator: RunningEmulator) -> None:
        emulator.runtime.refusals = (parse_refusal(f"{kind}:{model}"),)

    return stage


def _cutoff_today(emulator: RunningEmulator) -> None:
    from ftops.clock import today

    emulator.runtime.job_cutoff = today().isoformat()


OPENAI_BASE = "gpt-4o-mini-2024-07-18"
_OPENAI_REFUSALS = (
    Refusal("untunable-model", lambda _emu: None, "gpt-5-mini-2025-08-07", ProviderError,
            "cannot be fine-tuned"),
    Refusal("job-cutoff", _cutoff_today, OPENAI_BASE, PermissionDeniedError, "no fine-tuning access"),
    Refusal("daily-quota", _refuse_model("daily-quota", OPENAI_BASE), OPENAI_BASE, RateLimitedError,
            "daily"),
)

OPENAI = Subject(
    name="openai",
    capabilities=OPENAI_CAPABILITIES,
    open=_open_openai,
    manifest_provider=lambda emu: f"provider: {{type: openai, base_url: '{emu.base_url}'}}\n",
    job_create_path="/v1/fine_tuning/jobs",
    file_upload_path="/v1/files",
    jobs_table="jobs",
    base_model=OPENAI_BASE,
    missing_job_id="ftjob-000000000000000000000000",
    refusals=_OPENAI_REFUSALS,
)

# Azure's requests reach the emulator under /openai and are served by its /v1 routes, which is
# where faults and the request log see them.
AZURE = Subject(
    name="azure",
    capabilities=AZURE_CAPABILITIES,
    open=_open_azure,
    manifest_provider=lambda emu: (
        f"provider: {{type: azure, endpoint: '{emu.root_url}', api_version: {AZURE_API_VERSION}}}\n"
    ),
    job_create_path="/v1/fine_tuning/jobs",
    file_upload_path="/v1/files",
    jobs_table="jobs",
    base_model=OPENAI_BASE,
    missing_job_id="ftjob-000000000000000000000000",
    refusals=_OPENAI_REFUSALS,
)


# ---- Together AI -------------------------------------------------------------------------------


def _open_together(emulator: RunningEmulator, retry: RetryPolicy) -> FineTuningProvider:
    from ftops.provider.together import client
    from ftops.provider.together.adapter import TogetherProvider

    connection = client.connect(ProviderConfig(type="together", base_url=emulator.together_base_url))
    return TogetherProvider(connection, retry=retry)


TOGETHER_BASE = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
TOGETHER_LORA_ONLY = "meta-llama/Meta-Llama-3.1-70B-Instruct-Reference"

# The SDK uploads in three requests (register, PUT the bytes, preprocess); the last one's answer
# makes the file usable. It reads the model's limits and a price estimate before each create.
TOGETHER = Subject(
    name="together",
    capabilities=TOGETHER_CAPABILITIES,
    open=_open_together,
    manifest_provider=lambda emu: f"provider: {{type: together, base_url: '{emu.together_base_url}'}}\n",
    job_create_path="/together/v1/fine-tunes",
    file_upload_path="/together/v1/files/*/preprocess",
    jobs_table="together_jobs",
    base_model=TOGETHER_BASE,
    missing_job_id="ft-00000000-0000-0000-0000-000000000000",
    refusals=(
        # The SDK asks the model's limits first; the service answers 404 for a model it does not tune.
        Refusal("untunable-model", lambda _emu: None, "gpt-4o-mini-2024-07-18", NotFoundError,
                "not available for fine-tuning"),
        # Offered with LoRA only: the SDK refuses full training from the limits, before sending it.
        Refusal("full-training-not-offered", lambda _emu: None, TOGETHER_LORA_ONLY, UsageError,
                "Full training is not supported", training="full"),
    ),
)

SUBJECTS: tuple[Subject, ...] = (OPENAI, AZURE, TOGETHER)
