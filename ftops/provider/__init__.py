"""The provider package: the only code that talks to a fine-tuning service, and the only
package that imports a service's SDK (``openai``, ``together``).

``base.FineTuningProvider`` is the interface the planner and the executor use;
``types`` holds the neutral values that cross it; one adapter per service lives in
its own package (``openai/``, ``azure/``, ``together/``), chosen by ``registry.open_provider``
from ``provider.type``. The provider never starts the emulator: the composition root
(``ftops.workflow``) does, and hands the adapter its address as an ``Endpoint``.

Importing this package imports no SDK; opening a provider does.
"""

from __future__ import annotations

from ftops.provider.base import FineTuningProvider
from ftops.provider.refresh import refresh
from ftops.provider.registry import (
    PROVIDER_TYPES,
    base_model_of_any,
    effective_provider,
    emulated_provider,
    naming_of,
    open_provider,
)
from ftops.provider.types import (
    Capabilities,
    Endpoint,
    HostingModel,
    JobEvent,
    JobIdentity,
    JobIdentityStore,
    JobPhase,
    JobSpec,
    PriceModel,
)

# The name the rest of ftops has always called it by.
Provider = FineTuningProvider

__all__ = [
    "PROVIDER_TYPES",
    "Capabilities",
    "Endpoint",
    "FineTuningProvider",
    "HostingModel",
    "JobEvent",
    "JobIdentity",
    "JobIdentityStore",
    "JobPhase",
    "JobSpec",
    "PriceModel",
    "Provider",
    "base_model_of_any",
    "effective_provider",
    "emulated_provider",
    "naming_of",
    "open_provider",
    "refresh",
]
