"""The neutral values that cross the provider boundary, in both directions.

Nothing here knows a service: no SDK, no request body, no id format. The planner and
the executor speak only these; each adapter (``ftops.provider.openai``,
``ftops.provider.azure``) translates them to and from its service. This module
imports nothing of ftops but the resource model, so ``ftops.plan`` can use it freely.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from ftops.resources import Integration, Method, empty_mapping


class JobPhase(StrEnum):
    """Where a job stands, whatever the service calls it (``ObservedJob.status`` keeps its word)."""

    VALIDATING = "validating"  # checking its files; may still fail
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"  # pausing or paused: resumable, so still unfinished
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_PHASES

    @property
    def is_active(self) -> bool:
        """Unfinished: may still spend money and can be cancelled."""
        return self not in TERMINAL_PHASES

    @property
    def is_failure(self) -> bool:
        return self in (JobPhase.FAILED, JobPhase.CANCELLED)


TERMINAL_PHASES: Final = frozenset({JobPhase.SUCCEEDED, JobPhase.FAILED, JobPhase.CANCELLED})


class HostingModel(StrEnum):
    """How a fine-tuned model answers once trained."""

    SERVERLESS = "serverless"  # chat by model id, billed per token (OpenAI)
    DEPLOYMENT = "deployment"  # a named deployment must exist first (Azure OpenAI)
    ENDPOINT = "endpoint"  # a dedicated endpoint billed by the hour (e.g. Together's)


class PriceModel(StrEnum):
    """How training is billed, which decides what the plan can estimate."""

    PER_TRAINING_TOKEN = "per_training_token"  # tokens x epochs x a per-model price
    PER_TRAINING_HOUR = "per_training_hour"  # GPU time: estimated from tokens at best


class JobIdentityStore(StrEnum):
    """Where a service keeps the identity ftops gives each job (what adoption relies on)."""

    SERVER_FILTERED_TAGS = "server_filtered_tags"  # job metadata, filterable in the listing
    TAGS = "tags"  # job metadata returned, but not filterable: list all, keep ours
    DERIVED = "derived"  # no metadata: recovered from names the service keeps (suffix, files)


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What one service can do and how; plain data the planner and the executor may read."""

    name: str  # "openai", "azure"
    identity_store: JobIdentityStore
    max_user_metadata_pairs: int  # pairs left to manifests once ftops's identity is stored
    hosting: frozenset[HostingModel]
    price_model: PriceModel
    supports_file_deletion: bool
    supports_model_deletion: bool  # False: a pruned model can only be forgotten
    supports_job_events: bool
    # The job listing is newest first and never forgets a job: only then may a plan read
    # just its recent pages (the watermark of ``ftops.plan.listing``).
    newest_first_job_listing: bool
    max_poll_interval_s: float  # the longest sensible wait between two polls of a job
    secret_env_vars: tuple[str, ...]  # where keys come from; redacted wherever they appear
    # The longest one request can be on its way (connect, send, wait for the answer, each under
    # the client's timeout): past it, nothing a run sent can still land (issue 22's intents).
    longest_request_s: float = 250.0
    # The service's job status words and their phases. A word missing here that is not a
    # phase's own counts as RUNNING: wrongly thinking a job finished could delete a file it
    # still reads, so the unknown is taken as still active.
    job_phases: Mapping[str, JobPhase] = field(default_factory=empty_mapping)

    def phase_of(self, status: str) -> JobPhase:
        """The phase of a status word this service uses (e.g. one kept in the state)."""
        return phase_of(status, self.job_phases)


def phase_of(status: str, vocabulary: Mapping[str, JobPhase] = MappingProxyType({})) -> JobPhase:
    """``status`` through a service's vocabulary; else a phase's own word; else RUNNING."""
    found = vocabulary.get(status)
    if found is not None:
        return found
    try:
        return JobPhase(status)
    except ValueError:
        return JobPhase.RUNNING


# A job's identity in a few characters, for a service that has no room for the whole of it (no
# job metadata: Together keeps it in the suffix, ``ftops.provider.together.identity``). 48 bits:
# two jobs of one project would share a digest about once in 10^14 pairs.
IDENTITY_DIGEST_LENGTH: Final = 12


def identity_digest(project: str, resource: str, inputs_hash: str) -> str:
    """The short, deterministic digest of a job's full identity (lowercase hex)."""
    text = f"{project}\n{resource}\n{inputs_hash}"
    return hashlib.sha256(text.encode()).hexdigest()[:IDENTITY_DIGEST_LENGTH]


@dataclass(frozen=True, slots=True)
class JobIdentity:
    """Whose a job is, as ftops stored it in the service at creation (the adapter reads it back).

    ``resource`` is None where the service has no room to keep the address. Where it keeps only
    a digest of the identity (``JobIdentityStore.DERIVED``), the adapter reads back ``project``
    ("" when the service's names do not say it) and ``digest`` (``resource`` None,
    ``inputs_hash`` empty): whoever knows a full identity tells whether the job carries it
    (``carries``; the digest covers the project), as the planner does for the jobs it knows
    (``ftops.plan._context``)."""

    project: str
    resource: str | None
    inputs_hash: str
    digest: str | None = None

    def carries(self, identity: JobIdentity) -> bool:
        """Whether a job read back with this identity was created with ``identity`` (a full one)."""
        if self.digest is None:
            return self == identity
        return (
            self.project in ("", identity.project)  # "": a project the service's names do not say
            and identity.resource is not None
            and self.digest == identity_digest(identity.project, identity.resource, identity.inputs_hash)
        )


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A job to create, in ftops's words; each adapter encodes it as its service's request.

    Datasets are named, not given by file id: a plan is made before the uploads exist, and
    the executor passes the file ids to ``create_job`` when it runs."""

    identity: JobIdentity
    model: str
    training_dataset: str
    validation_dataset: str | None = None
    method: Method = field(default_factory=Method)
    suffix: str | None = None
    seed: int | None = None
    user_metadata: Mapping[str, str] = field(default_factory=empty_mapping)
    integrations: tuple[Integration, ...] = ()


@dataclass(frozen=True, slots=True)
class JobEvent:
    """One line of a job's event log, with the training progress it reports, if any."""

    id: str
    created_at: int
    level: str
    message: str
    step: int | None = None  # set on the events that report training progress
    total_steps: int | None = None
    train_loss: float | None = None


@dataclass(frozen=True, slots=True)
class ChatReply:
    """One chat answer with what evaluations record of it (``FineTuningProvider.complete``)."""

    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    tool_calls: tuple[tuple[str, str], ...] = ()  # (function name, arguments as JSON text)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where to reach a service when it is not its public address: a gateway, or the emulator
    the composition root started (``ftops.workflow``). The provider never starts one itself."""

    base_url: str
    label: str = "endpoint"  # first word of the provider's description, e.g. "emulator"
    # A key to use when the environment has none: only for a local emulator that takes any.
    placeholder_key: str | None = None
    # A local server trains in seconds: poll it often (overrides the capability's interval).
    max_poll_interval_s: float | None = None
