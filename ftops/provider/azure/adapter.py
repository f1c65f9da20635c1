"""Azure OpenAI behind ``FineTuningProvider``: OpenAI's API (same SDK, jobs, statuses and
metadata tags), but models answer through deployments and are named ``BASE.ft-<hex>``."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar, Final

from ftops.provider.azure import naming
from ftops.provider.openai.adapter import CAPABILITIES as OPENAI_CAPABILITIES
from ftops.provider.openai.adapter import OpenAIProvider
from ftops.provider.types import Capabilities, HostingModel

CAPABILITIES: Final = replace(
    OPENAI_CAPABILITIES,
    name="azure",
    hosting=frozenset({HostingModel.DEPLOYMENT}),
    secret_env_vars=("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN"),
    job_phases=naming.JOB_PHASES,
)


class AzureOpenAIProvider(OpenAIProvider):
    CAPABILITIES: ClassVar[Capabilities] = CAPABILITIES

    def base_model_of(self, model_id: str) -> str | None:
        return naming.base_model_of(model_id)

    def looks_like_job_id(self, text: str) -> bool:
        return naming.looks_like_job_id(text)
