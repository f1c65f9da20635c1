"""The plan: a closed set of actions, typed steps the executor carries out, and the changes
that group them for people.

As in Terraform, ``Change.reason`` is for explaining the plan to people and must
never drive the apply: the executor only looks at ``Change.steps``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from ftops.provider.types import JobSpec
from ftops.resources import Check, empty_mapping

# 2: ``CreateJob`` carries a neutral ``spec`` instead of an OpenAI request body.
PLAN_FORMAT_VERSION: Final = 2


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REPLACE = "replace"
    ADOPT = "adopt"
    NOOP = "no-op"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]


_SYMBOLS: Final = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.DELETE: "-",
    Action.REPLACE: "-/+",
    Action.ADOPT: "<=",
    Action.NOOP: " ",
}


# ---- steps: the only thing the executor acts on -------------------------------------------


@dataclass(frozen=True, slots=True)
class UploadFile:
    """Upload a dataset's bytes under a name derived from its content hash."""

    address: str
    path: str  # absolute path of the dataset file
    filename: str  # ftops-<project>--<dataset>--<hash12>.jsonl: the identity adoption looks for
    content_hash: str
    raw_sha256: str
    size_bytes: int
    # Uploads already in the account under the same filename (a forced re-upload): a lookup
    # after a lost response must not mistake one of them for the result of this upload.
    supersedes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DeleteFile:
    address: str
    file_id: str


@dataclass(frozen=True, slots=True)
class CreateJob:
    """Create a fine-tuning job. ``spec`` names its datasets; the executor passes the file ids
    of their uploads to the provider, which encodes the request for its service."""

    address: str
    inputs_hash: str  # also ``spec.identity.inputs_hash``: what adoption matches on
    spec: JobSpec
    # Jobs already in the account with the same tags (a forced --replace): a lookup after a
    # lost response must not adopt one of them as the result of this create.
    supersedes: tuple[str, ...] = ()
    inputs: Mapping[str, Any] = field(default_factory=empty_mapping)  # for JobRecord.inputs


@dataclass(frozen=True, slots=True)
class CancelJob:
    address: str
    job_id: str


@dataclass(frozen=True, slots=True)
class AdoptObject:
    """Record in the state an object that the account already holds (a lost response,
    a crash before the state write, or a lost state file)."""

    address: str
    kind: str  # "file" | "job"
    object_id: str
    record: Mapping[str, Any]  # the state record to write


@dataclass(frozen=True, slots=True)
class PromoteModel:
    """Point a model name at a job's fine-tuned model, once that job succeeded and the
    checks pass against it. When the job is still running the executor waits (with --wait)
    or leaves the step for a later run. A pinned name (``model_id``, no job) points at a
    model made elsewhere, once the checks pass against it: the one place a name moves."""

    address: str
    job_address: str | None  # None: the name is pinned to ``model_id``
    checks: tuple[Check, ...]
    protect: bool = False  # for ModelRecord.protect
    model_id: str | None = None  # a model ftops did not train (models.NAME.model)
    # Served through a deployment (Azure): the new model is deployed first, the checks and the
    # gate ask it through that deployment, and the previous deployment goes once the name moved.
    deployment: DeploymentTarget | None = None


@dataclass(frozen=True, slots=True)
class DeploymentTarget:
    """How a name's models are deployed: ``<prefix>-<8 hex of the model id>``, sku, capacity."""

    prefix: str
    sku: str
    capacity: int


@dataclass(frozen=True, slots=True)
class Deploy:
    """Create (or recreate, or rescale in place) the deployment of the model a name already
    points at: a PUT by name, idempotent."""

    address: str  # models.NAME
    name: str
    model_id: str
    sku: str
    capacity: int


@dataclass(frozen=True, slots=True)
class DeleteDeployment:
    """Delete a deployment ftops made (superseded, left by an interrupted run, or destroy)."""

    address: str  # models.NAME
    name: str
    model_id: str


@dataclass(frozen=True, slots=True)
class DeleteModel:
    """Delete a fine-tuned model that no model name holds any more (pruning)."""

    address: str
    model_id: str


@dataclass(frozen=True, slots=True)
class ForgetResource:
    """Drop a record from the state without touching the account."""

    address: str


@dataclass(frozen=True, slots=True)
class UpdateRecord:
    """Rewrite a state record without touching the account (e.g. a model name's protect flag)."""

    address: str
    record: Mapping[str, Any]  # the state record to write


Step = (
    UploadFile
    | DeleteFile
    | CreateJob
    | CancelJob
    | AdoptObject
    | PromoteModel
    | DeleteModel
    | ForgetResource
    | UpdateRecord
    | Deploy
    | DeleteDeployment
)


# ---- changes, drift and the plan -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    address: str
    action: Action
    reason: str  # display only
    before: Mapping[str, Any] | None = None  # frozen JSON
    after: Mapping[str, Any] | None = None  # frozen JSON
    steps: tuple[Step, ...] = ()
    depends_on: tuple[str, ...] = ()  # keys (see ``key``) of the changes whose steps must run first
    # A change about an older object of the address (an earlier upload, a superseded model),
    # like Terraform's deposed objects: its id. Such changes have their own ``key``.
    deposed: str | None = None
    # The provider alias whose service the steps talk to (ftops.multi); None: the project's
    # one provider. Set only on the plans of projects that declare ``providers:``.
    provider: str | None = None

    @property
    def key(self) -> str:
        """Unique within a plan: the address, or ``address[object id]`` for a deposed object."""
        return self.address if self.deposed is None else f"{self.address}[{self.deposed}]"


@dataclass(frozen=True, slots=True)
class Drift:
    """Something changed in the account outside ftops."""

    address: str
    message: str


@dataclass(frozen=True, slots=True)
class PlanBase:
    """What the plan was computed from, so a saved plan that no longer fits is refused."""

    state_lineage: str | None
    state_serial: int | None  # None: the plan was made with no state
    inputs_digest: str  # hash of the manifests and the datasets' content hashes
    # The kind of provider the plan was made against (openai, azure, emulator): a rehearsal's
    # plan (--provider emulator) is refused by the real provider with that reason. None: not
    # recorded (a plan saved before this field, or made by the pure planner alone).
    provider: str | None = None


@dataclass(frozen=True, slots=True)
class CostLine:
    address: str  # a job
    model: str
    training_tokens: int
    usd: float | None
    tokens_estimated: bool = False  # no tokenizer of the model is installed: every view says so


@dataclass(frozen=True, slots=True)
class HostingLine:
    """What a deployment costs while it exists (billed by the hour, used or not)."""

    address: str  # models.NAME
    deployment: str  # its name, or "<prefix>-…" before the model is known
    model: str  # the model id (or the base model, before training)
    sku: str
    capacity: int
    usd_per_hour: float | None  # None: no price known for the model
    change: str = "keep"  # create | keep | delete

    @property
    def usd_per_month(self) -> float | None:
        return None if self.usd_per_hour is None else self.usd_per_hour * HOURS_PER_MONTH


HOURS_PER_MONTH: Final = 730.0  # 365 x 24 / 12, as cloud price pages count a month


@dataclass(frozen=True, slots=True)
class ModelLifecycle:
    """An active model name, its base model and when it shuts down (issue 10): every plan
    shows which production model dies when."""

    address: str  # models.NAME
    model_id: str | None  # the fine-tuned model the name points at now (None: not yet)
    base_model: str
    shutdown_date: str | None = None  # ISO date, from the models listing
    days_left: int | None = None  # from the plan's "today"; negative once past
    recording: str | None = None  # the model's recording (relative to the project root), if any


@dataclass(frozen=True, slots=True)
class Plan:
    project: str
    base: PlanBase
    changes: tuple[Change, ...] = ()
    drift: tuple[Drift, ...] = ()
    warnings: tuple[str, ...] = ()
    costs: tuple[CostLine, ...] = ()
    in_progress: Mapping[str, str] = field(default_factory=empty_mapping)  # job address -> status
    refresh_only: bool = False
    format_version: int = PLAN_FORMAT_VERSION
    lifecycle: tuple[ModelLifecycle, ...] = ()
    hosting: tuple[HostingLine, ...] = ()  # the deployments the project pays for after this plan

    @property
    def actionable(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action is not Action.NOOP)

    @property
    def has_changes(self) -> bool:
        return bool(self.actionable)

    @property
    def estimated_usd(self) -> float:
        return sum(line.usd or 0.0 for line in self.costs)
