"""Which adapter serves which ``provider.type``, and the few facts about a service's names that
offline code needs without opening it (no SDK is imported until a provider is opened).

``emulator`` is not a service: it is a run mode that the composition root
(``ftops.workflow``) turns into the adapter of the manifests' service pointed at an emulator it
started (the OpenAI adapter, or the Together adapter for ``type: together``: ``emulated_provider``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType, ModuleType
from typing import TYPE_CHECKING, Final

from ftops.errors import UsageError
from ftops.provider.azure import naming as azure_naming
from ftops.provider.openai import naming as openai_naming
from ftops.provider.together import naming as together_naming
from ftops.provider.types import Endpoint, JobPhase
from ftops.resources import ProviderConfig

if TYPE_CHECKING:
    from ftops.provider.base import FineTuningProvider

EMULATOR: Final = "emulator"
PROVIDER_TYPES: Final = ("openai", "azure", "together", EMULATOR)
# The service each type speaks: the emulator speaks OpenAI's API.
_SERVICE_OF: Final[Mapping[str, str]] = MappingProxyType(
    {"openai": "openai", "azure": "azure", "together": "together", EMULATOR: "openai"}
)
_NAMING: Final[Mapping[str, ModuleType]] = MappingProxyType(
    {"openai": openai_naming, "azure": azure_naming, "together": together_naming}
)


@dataclass(frozen=True, slots=True)
class Naming:
    """A service's names, as pure functions."""

    service: str
    module: ModuleType

    def base_model_of(self, model_id: str) -> str | None:
        found: str | None = self.module.base_model_of(model_id)
        return found

    def looks_like_job_id(self, text: str) -> bool:
        return bool(self.module.looks_like_job_id(text))

    def fine_tuned_example(self, base: str) -> str:
        return str(self.module.fine_tuned_example(base))

    @property
    def job_id_example(self) -> str:
        return str(self.module.JOB_ID_EXAMPLE)

    @property
    def job_phases(self) -> Mapping[str, JobPhase]:
        phases: Mapping[str, JobPhase] = self.module.JOB_PHASES
        return phases


def service_of(provider_type: str) -> str:
    if provider_type not in _SERVICE_OF:
        raise UsageError(f"unknown provider {provider_type!r}: use one of {', '.join(PROVIDER_TYPES)}")
    return _SERVICE_OF[provider_type]


def naming_of(provider_type: str) -> Naming:
    service = service_of(provider_type)
    return Naming(service, _NAMING[service])


def base_model_of_any(model_id: str) -> str | None:
    """The base of a fine-tuned model id in any known service's form (for offline token counts
    and prices, where the provider is not opened)."""
    for module in _NAMING.values():
        found: str | None = module.base_model_of(model_id)
        if found is not None:
            return found
    return None


def effective_provider(config: ProviderConfig, override: str | None) -> ProviderConfig:
    """The manifests' provider, or the one ``--provider`` names (keeping the manifests' settings
    when the type is the same)."""
    if override is None or override == config.type:
        return config
    if override not in PROVIDER_TYPES:
        raise UsageError(f"unknown provider {override!r}: use one of {', '.join(PROVIDER_TYPES)}")
    return ProviderConfig(type=override)  # type: ignore[arg-type]


def emulated_provider(
    config: ProviderConfig, openai_url: str, together_url: str
) -> tuple[ProviderConfig, str]:
    """The adapter type and base URL that reach an emulator standing in for ``config`` (the
    manifests' provider): it serves Together's API under its own prefix, and OpenAI's for the rest."""
    if config.type == "together":
        return ProviderConfig(type="together"), together_url
    return ProviderConfig(type=EMULATOR), openai_url


def open_provider(config: ProviderConfig, endpoint: Endpoint | None = None) -> FineTuningProvider:
    """The adapter for ``config.type`` (already resolved with ``effective_provider``), talking to
    ``endpoint`` when given. Close it (or use it as a context manager)."""
    service = service_of(config.type)
    if config.type == EMULATOR and endpoint is None:
        raise UsageError(
            "the emulator provider needs a running emulator: open it through ftops.workflow "
            "(the CLI does), or serve one and set provider.base_url"
        )
    if service == "together":
        from ftops.extras import require

        require("together", "together", "provider type 'together'")
        from ftops.provider.together import client as together_client
        from ftops.provider.together.adapter import TogetherProvider

        return TogetherProvider(together_client.connect(config, endpoint))
    if service == "azure":
        from ftops.provider.azure import client as azure_client
        from ftops.provider.azure.adapter import AzureOpenAIProvider

        return AzureOpenAIProvider(azure_client.connect(config, endpoint))
    from ftops.provider.openai import client as openai_client
    from ftops.provider.openai.adapter import OpenAIProvider

    return OpenAIProvider(openai_client.connect(config, endpoint))
