"""What each provider type takes in a job, as data: the one table the manifest validator reads.

A service's facts live beside its names (``ftops.provider.<service>.accepts``): the job
fields and methods it takes, the hyperparameters of each method, the dataset formats
each method trains on, whether ``auto`` means anything to it, and the limits of the base
models it is known to train. ``ftops.manifest.provider_rules`` applies them to every
provider alike, so supporting another service is adding one more table, not more ifs.
Pure data: no SDK, importable offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from ftops.resources import empty_mapping

# Fields every job has on every service (the schema requires or allows them everywhere).
COMMON_JOB_FIELDS: Final = frozenset(
    {"model", "training_file", "validation_file", "method", "hyperparameters", "suffix", "seed"}
)


@dataclass(frozen=True, slots=True)
class BatchRange:
    low: int
    high: int
    high_dpo: int  # preference training takes smaller batches

    def high_for(self, method: str) -> int:
        return self.high_dpo if method == "dpo" else self.high


@dataclass(frozen=True, slots=True)
class ModelLimits:
    """What one base model takes: the training kinds it offers (with their batch sizes) and the
    upper bounds the service checks before it accepts a job."""

    name: str
    billions_of_parameters: float  # picks the price band
    batch: Mapping[str, BatchRange]  # by training kind ("lora", "full"); a kind absent is refused
    max_epochs: int
    max_evals: int
    max_checkpoints: int
    max_lora_rank: int
    max_learning_rate: float


@dataclass(frozen=True, slots=True)
class JobAcceptance:
    """One service's facts about jobs (see the module's docstring)."""

    service: str  # for messages: "OpenAI", "Together AI"
    job_fields: frozenset[str]  # top-level job keys it takes
    methods: Mapping[str, frozenset[str]]  # method type -> the hyperparameters it takes
    formats: Mapping[str, tuple[str, ...]]  # method type -> the dataset formats it trains on
    training_kinds: tuple[str, ...] = ()  # values of method.training; empty: the key is refused
    default_training: str | None = None  # what an omitted method.training means
    takes_auto: bool = True  # "auto" as a hyperparameter value
    max_suffix: int = 64
    suffix_reason: str = ""  # why max_suffix is below the service's own limit, for the message
    # A field (or method) it refuses -> what to write instead, on this service.
    instead: Mapping[str, str] = field(default_factory=empty_mapping)
    # The base models it is known to train; a model not here is judged elsewhere (catalogue).
    models: Mapping[str, ModelLimits] = field(default_factory=empty_mapping)
    # True when every model it trains is named "<organization>/<name>".
    namespaced_models: bool = False

    def formats_for(self, method: str) -> tuple[str, ...]:
        return self.formats.get(method, ())


def acceptance_for(provider_type: str) -> JobAcceptance:
    """The facts for a provider type (the emulator speaks OpenAI's API)."""
    from ftops.provider.azure.accepts import ACCEPTS as AZURE
    from ftops.provider.openai.accepts import ACCEPTS as OPENAI
    from ftops.provider.together.accepts import ACCEPTS as TOGETHER

    table = MappingProxyType({"openai": OPENAI, "emulator": OPENAI, "azure": AZURE, "together": TOGETHER})
    return table.get(provider_type, OPENAI)


def every_acceptance() -> tuple[JobAcceptance, ...]:
    """Every service's table (to tell a field no provider takes from one another provider takes)."""
    from ftops.provider.openai.accepts import ACCEPTS as OPENAI
    from ftops.provider.together.accepts import ACCEPTS as TOGETHER

    return (OPENAI, TOGETHER)
