"""The typed resource model: what the manifests declare, after loading.

The manifest loader (``ftops.manifest``) is the only code that reads YAML; it
returns a ``Project``. Everything downstream (dataset checks, the planner, the
executor, renderers) works with these frozen values and never with raw dicts.

Omitted vs explicit: a field the manifest did not set is ``None``; the string
``"auto"`` is kept as ``AUTO`` because it means "let the service choose", which
is a different input to a job (and to its hash) than leaving it out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

AUTO: Final = "auto"

# instruction ({prompt, completion}) and text ({text}): Together AI's supervised formats.
DatasetFormat = Literal["chat", "preference", "reinforcement", "instruction", "text"]
DATASET_FORMATS: Final = ("chat", "preference", "reinforcement", "instruction", "text")
MethodType = Literal["supervised", "dpo", "reinforcement"]
# What a job trains: LoRA adapters (Together's default) or every weight. Together only.
TrainingKind = Literal["lora", "full"]
ProviderType = Literal["openai", "azure", "together", "emulator"]  # see ftops.provider.registry

# Which dataset format each fine-tuning method trains on (OpenAI's rule; what each provider
# accepts is ``ftops.provider.accepts``).
FORMAT_FOR_METHOD: Final[Mapping[str, str]] = MappingProxyType(
    {"supervised": "chat", "dpo": "preference", "reinforcement": "reinforcement"}
)

# Metadata keys ftops writes on every job it creates, so the account itself
# records which project, resource and inputs a job belongs to (adoption after a
# lost state or a lost response depends on them). Manifests may not set them.
META_PROJECT: Final = "ftops_project"
META_RESOURCE: Final = "ftops_resource"
META_INPUTS: Final = "ftops_inputs"
RESERVED_METADATA_KEYS: Final = frozenset({META_PROJECT, META_RESOURCE, META_INPUTS})

# The service's own limits on job metadata.
MAX_METADATA_PAIRS: Final = 16
MAX_METADATA_KEY: Final = 64
MAX_METADATA_VALUE: Final = 512
# Pairs left to users once ftops has written its own tags.
MAX_USER_METADATA_PAIRS: Final = MAX_METADATA_PAIRS - len(RESERVED_METADATA_KEYS)


def freeze(value: Any) -> Any:
    """Deep-freeze JSON-like data: dicts become read-only mappings, lists tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """The inverse of ``freeze``: plain dicts and lists, e.g. for an API request body."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


def empty_mapping() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where a declaration stands: a manifest file (relative to the project root) and 1-based line/column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """Which API ftops talks to, and its non-secret settings. Keys come only from the environment."""

    type: ProviderType = "openai"
    base_url: str | None = None
    organization: str | None = None
    project: str | None = None
    endpoint: str | None = None  # Azure
    api_version: str | None = None  # Azure
    # Azure's management plane, for deployments (each else from an AZURE_* variable)
    subscription_id: str | None = None
    resource_group: str | None = None
    account_name: str | None = None
    management_endpoint: str | None = None


@dataclass(frozen=True, slots=True)
class BackendConfig:
    """Where the state lives. ``local`` uses ``path`` (relative to the project root);
    remote kinds keep their settings in ``options``."""

    type: str = "local"
    path: str = "state/ftops.state.json"
    options: Mapping[str, Any] = field(default_factory=empty_mapping)


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    path: Path  # absolute, symlinks resolved, inside the project root
    file: str  # as written in the manifest, for messages
    format: DatasetFormat = "chat"
    declared_at: SourceLocation | None = None
    # A provider alias (``providers:``): the dataset lives only there. None: it is uploaded to
    # the provider of each job that reads it (ftops.multi), the project's default otherwise.
    provider: str | None = None

    @property
    def address(self) -> str:
        return f"datasets.{self.name}"


# A hyperparameter is an int/float, AUTO, or None when not given.
IntParam = int | str | None
FloatParam = float | str | None


@dataclass(frozen=True, slots=True)
class Hyperparameters:
    n_epochs: IntParam = None
    batch_size: IntParam = None
    learning_rate_multiplier: FloatParam = None
    beta: FloatParam = None  # dpo only
    # reinforcement only
    reasoning_effort: str | None = None
    compute_multiplier: FloatParam = None
    eval_interval: IntParam = None
    eval_samples: IntParam = None
    # Together only (which provider takes which field is checked by the manifest validator)
    learning_rate: FloatParam = None  # absolute, unlike OpenAI's multiplier
    n_checkpoints: IntParam = None
    n_evals: IntParam = None  # evaluations on the validation file during training
    warmup_ratio: FloatParam = None
    lora_rank: IntParam = None
    lora_alpha: IntParam = None
    lora_dropout: FloatParam = None


@dataclass(frozen=True, slots=True)
class Method:
    type: MethodType = "supervised"
    hyperparameters: Hyperparameters = field(default_factory=Hyperparameters)
    grader: Mapping[str, Any] | None = None  # reinforcement only, frozen JSON
    training: TrainingKind | None = None  # Together only; None: the service's default (LoRA)


@dataclass(frozen=True, slots=True)
class Integration:
    type: str  # "wandb"
    settings: Mapping[str, Any] = field(default_factory=empty_mapping)  # frozen JSON


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    model: str  # a base model, or a fine-tuned model to continue from
    training_file: str  # a dataset name
    validation_file: str | None = None  # a dataset name
    method: Method = field(default_factory=Method)
    suffix: str | None = None
    seed: int | None = None
    metadata: Mapping[str, str] = field(default_factory=empty_mapping)
    integrations: tuple[Integration, ...] = ()
    declared_at: SourceLocation | None = None
    provider: str | None = None  # a provider alias (``providers:``); None: the project's default

    @property
    def address(self) -> str:
        return f"jobs.{self.name}"


@dataclass(frozen=True, slots=True)
class Check:
    """A prompt and what the reply must satisfy; every given expectation must hold."""

    messages: tuple[Mapping[str, Any], ...]
    contains: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()
    matches: str | None = None  # a Python regular expression, searched
    equals: str | None = None
    declared_at: SourceLocation | None = None


@dataclass(frozen=True, slots=True)
class EvalSuite:
    """An evaluation: a JSONL file of cases (read by ``ftops.evals``) and how its answers are sampled.

    The sampling settings are fixed per eval so that answers asked today and answers recorded
    months ago are comparable (and so that cached answers stay valid)."""

    name: str
    path: Path  # absolute, symlinks resolved, inside the project root
    file: str  # as written in the manifest, for messages
    samples: int = 1
    temperature: float = 0.0
    seed: int = 0
    max_tokens: int = 512
    declared_at: SourceLocation | None = None
    grader: RubricGrader | None = None  # grades the cases that have a ``rubric``

    @property
    def address(self) -> str:
        return f"evals.{self.name}"


@dataclass(frozen=True, slots=True)
class RubricGrader:
    """A model that grades answers against each case's rubric: a pinned model id (a dated
    snapshot, so that its verdicts do not drift) and the instructions it is given: ``prompt`` to
    grade one answer, ``pairwise_prompt`` to compare two (A and B) for a pairwise rubric."""

    model: str
    prompt: str
    pairwise_prompt: str


@dataclass(frozen=True, slots=True)
class ChatPricing:
    """USD per 1M (input, output) tokens of answers, from the manifests' ``pricing``: ``chat`` for
    the model named itself, ``fine_tuned_chat`` for the models fine-tuned from it."""

    chat: tuple[float, float] | None = None
    fine_tuned_chat: tuple[float, float] | None = None


Baseline = Literal["current", "recording"]
DEFAULT_MARGIN: Final = 0.05


@dataclass(frozen=True, slots=True)
class Gate:
    """What a new model must show, on the named evals, before it takes a name."""

    evals: tuple[str, ...]
    min_score: float | None = None  # a floor on every eval's score; None: no floor
    no_worse_than: Baseline = "current"
    margin: float = DEFAULT_MARGIN


DEFAULT_SKU: Final = "Standard"


@dataclass(frozen=True, slots=True)
class Deployment:
    """How a model name is served through a deployment billed by the hour (an Azure deployment,
    a Together dedicated endpoint): each model the name points at gets a deployment named
    ``<prefix>-<8 hex of its id>``."""

    prefix: str  # the manifest's ``name``, else the model name (on Together: ``<project id>/...``)
    sku: str = DEFAULT_SKU  # Azure's deployment type; on Together the hardware id
    capacity: int = 1  # Azure's capacity units; on Together the replicas
    declared_at: SourceLocation | None = None


@dataclass(frozen=True, slots=True)
class ActiveModel:
    """A name applications use. It stands for the model of one of this project's jobs
    (``job``), or for a model made elsewhere (``model``: a hand-made fine-tune, a base model);
    the manifest loader guarantees exactly one of the two."""

    name: str
    job: str | None = None  # a job name
    checks: tuple[Check, ...] = ()
    protect: bool = False
    keep_previous: int = 0
    declared_at: SourceLocation | None = None
    model: str | None = None  # a model id ftops did not train: the name is pinned to it
    # Models ftops did not create (pinned, imported) are never deleted unless this says so.
    delete_external: bool = False
    gate: Gate | None = None
    # A pinned name's provider alias; a name with a job is on its job's provider.
    provider: str | None = None
    deployment: Deployment | None = None  # served through a deployment (Azure)

    @property
    def address(self) -> str:
        return f"models.{self.name}"

    @property
    def pinned(self) -> bool:
        return self.model is not None


@dataclass(frozen=True, slots=True)
class Budget:
    max_usd: float
    declared_at: SourceLocation | None = None
    # A ceiling on the run-rate of the project's deployments, USD per 730-hour month; None: none.
    monthly_hosting_usd: float | None = None


@dataclass(frozen=True, slots=True)
class Project:
    """Everything the manifests of one project declare, merged across files."""

    name: str
    root: Path  # the folder that holds manifests/
    manifests_dir: Path
    manifest_files: tuple[Path, ...]  # every file read, sorted
    provider: ProviderConfig = field(default_factory=ProviderConfig)
    backend: BackendConfig = field(default_factory=BackendConfig)
    datasets: Mapping[str, Dataset] = field(default_factory=empty_mapping)
    jobs: Mapping[str, Job] = field(default_factory=empty_mapping)
    models: Mapping[str, ActiveModel] = field(default_factory=empty_mapping)
    evals: Mapping[str, EvalSuite] = field(default_factory=empty_mapping)
    budget: Budget | None = None
    # USD per 1M training tokens by base model, overriding the packaged price table.
    pricing: Mapping[str, float] = field(default_factory=empty_mapping)
    # Provider aliases (``providers:``), beside ``provider``, the project's default.
    providers: Mapping[str, ProviderConfig] = field(default_factory=empty_mapping)
    # Chat prices by model, base model or family, overriding the packaged chat price table.
    chat_pricing: Mapping[str, ChatPricing] = field(default_factory=empty_mapping)
    # USD per hour of a deployment by base model (or model id), overriding the packaged table.
    hosting_pricing: Mapping[str, float] = field(default_factory=empty_mapping)


ADDRESS_KINDS: Final = ("datasets", "jobs", "models")
