"""Typed state records: what the state remembers about each resource, and their JSON form.

``StateSnapshot.resources`` maps an address to a frozen JSON record:

    datasets.NAME        DatasetRecord   the upload currently serving the dataset
    jobs.NAME            JobRecord       the job currently serving the job name
    models.NAME          ModelRecord     the fine-tuned model the name points at
    pending.<address>    PendingRecord   an intent written just BEFORE a create

Readers are strict: a record of the wrong shape raises ``StateCorruptError`` naming its
address, so a hand-edited state never reaches the planner half-understood. No secret and
no dataset content is ever stored: ids, names, hashes, statuses and the job inputs (which
are the manifests' own values).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar

from ftops.errors import StateCorruptError

# Re-exported: the identity helpers are part of the records seam.
from ftops.plan.identity import (
    job_inputs_hash,
    job_spec,
    upload_filename,
)
from ftops.resources import empty_mapping, freeze, thaw

if TYPE_CHECKING:
    from ftops.state import StateSnapshot

__all__ = [
    "DatasetRecord",
    "JobRecord",
    "ModelRecord",
    "Origin",
    "PendingRecord",
    "StateRecords",
    "job_inputs_hash",
    "job_spec",
    "pending_key",
    "read_records",
    "upload_filename",
]

PENDING_PREFIX: Final = "pending."
PendingKind = Literal["file", "job", "deployment"]


def pending_key(address: str) -> str:
    """The state address of the intent to create ``address`` (one intent per address)."""
    return PENDING_PREFIX + address


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    file_id: str
    filename: str
    content_hash: str
    raw_sha256: str
    bytes: int
    # Earlier uploads of this dataset still in the account, deleted once no unfinished job
    # uses them. Kept so that nothing ftops uploaded is ever lost track of.
    retired_file_ids: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "filename": self.filename,
            "content_hash": self.content_hash,
            "raw_sha256": self.raw_sha256,
            "bytes": self.bytes,
            "retired_file_ids": list(self.retired_file_ids),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], address: str) -> DatasetRecord:
        r = _Reader(data, address)
        return cls(
            file_id=r.str_("file_id"),
            filename=r.str_("filename"),
            content_hash=r.str_("content_hash"),
            raw_sha256=r.str_("raw_sha256"),
            bytes=r.int_("bytes"),
            retired_file_ids=r.str_tuple_("retired_file_ids"),
        )


@dataclass(frozen=True, slots=True)
class JobRecord:
    job_id: str
    inputs_hash: str
    status: str
    base_model: str
    training_file_id: str
    validation_file_id: str | None = None
    fine_tuned_model: str | None = None
    error: str | None = None  # the service's error, "code: message"
    created_at: int | None = None
    finished_at: int | None = None
    trained_tokens: int | None = None
    # The inputs as canonical JSON (identity.job_inputs), so a plan can show a field-level diff.
    inputs: Mapping[str, Any] = field(default_factory=empty_mapping)
    # Older jobs of this name, most recent first (replaced; their models may be pruned).
    previous_job_ids: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "inputs_hash": self.inputs_hash,
            "status": self.status,
            "base_model": self.base_model,
            "training_file_id": self.training_file_id,
            "validation_file_id": self.validation_file_id,
            "fine_tuned_model": self.fine_tuned_model,
            "error": self.error,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
            "trained_tokens": self.trained_tokens,
            "inputs": thaw(self.inputs),
            "previous_job_ids": list(self.previous_job_ids),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], address: str) -> JobRecord:
        r = _Reader(data, address)
        return cls(
            job_id=r.str_("job_id"),
            inputs_hash=r.str_("inputs_hash"),
            status=r.str_("status"),
            base_model=r.str_("base_model"),
            training_file_id=r.str_("training_file_id"),
            validation_file_id=r.opt_str_("validation_file_id"),
            fine_tuned_model=r.opt_str_("fine_tuned_model"),
            error=r.opt_str_("error"),
            created_at=r.opt_int_("created_at"),
            finished_at=r.opt_int_("finished_at"),
            trained_tokens=r.opt_int_("trained_tokens"),
            inputs=r.mapping_("inputs"),
            previous_job_ids=r.str_tuple_("previous_job_ids"),
        )


# How a model came to be held by a name: made by one of this project's jobs ("ftops"), pinned
# by the manifests (``models.NAME.model``) or brought in by ``ftops import``.
Origin = Literal["ftops", "pinned", "imported"]
ORIGINS: Final = ("ftops", "pinned", "imported")


@dataclass(frozen=True, slots=True)
class DeploymentRecord:
    """The deployment a model name is served through (Azure): made by ftops, for ``model_id``."""

    name: str
    model_id: str
    sku: str
    capacity: int
    created_at: int  # unix seconds: hosting is billed by the hour from then

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "model_id": self.model_id, "sku": self.sku, "capacity": self.capacity,
                "created_at": self.created_at}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], address: str) -> DeploymentRecord:
        r = _Reader(data, address)
        return cls(name=r.str_("name"), model_id=r.str_("model_id"), sku=r.str_("sku"),
                   capacity=r.int_("capacity"), created_at=r.int_("created_at"))


@dataclass(frozen=True, slots=True)
class ModelRecord:
    model_id: str  # the model the name points at now
    job_id: str  # the job that made it; "" for a model ftops did not train
    protect: bool = False
    # Models this name pointed at before, most recent first, while they still exist. The
    # first ``keep_previous`` are kept; a protected name keeps all of them.
    previous: tuple[str, ...] = ()
    # The origin of each model held (current and previous). A model without one was recorded
    # by an ftops older than ownership (the key is absent from its record): the planner then
    # counts it as created by ftops only if one of this project's jobs made it.
    origins: Mapping[str, Origin] = field(default_factory=empty_mapping)
    # The name's last gate verdict (``models.<name>.gate``): the one that moved it here, or a later
    # refusal (its ``candidate`` is then another model), with who accepted an INCONCLUSIVE one and
    # when; None when the name has no gate.
    gate: Mapping[str, Any] | None = None
    deployment: DeploymentRecord | None = None  # the deployment serving ``model_id`` (Azure)

    def created_by_ftops(self, model_id: str) -> bool | None:
        """True or False when the record says; None for a model recorded before ownership."""
        origin = self.origins.get(model_id)
        return None if origin is None else origin == "ftops"

    def to_json(self) -> dict[str, Any]:
        held = (self.model_id, *self.previous)
        out = {
            "model_id": self.model_id,
            "job_id": self.job_id,
            "protect": self.protect,
            "previous": list(self.previous),
            # Only the models still held: a pruned model's origin goes with it.
            "origins": {m: self.origins[m] for m in dict.fromkeys(held) if m in self.origins},
        }
        if self.gate is not None:
            out["gate"] = thaw(self.gate)
        if self.deployment is not None:
            out["deployment"] = self.deployment.to_json()
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any], address: str) -> ModelRecord:
        r = _Reader(data, address)
        origins: dict[str, Origin] = {}
        for model_id, origin in r.mapping_("origins").items():
            if origin not in ORIGINS:
                raise _corrupt(address, f"origins[{model_id}] must be one of {', '.join(ORIGINS)}, "
                               f"found {origin!r}")
            origins[model_id] = origin
        return cls(
            model_id=r.str_("model_id"),
            job_id=r.str_("job_id"),
            protect=r.bool_("protect"),
            previous=r.str_tuple_("previous"),
            origins=freeze(origins),
            gate=r.mapping_("gate") if "gate" in data else None,
            deployment=DeploymentRecord.from_json(r.mapping_("deployment"), address)
            if data.get("deployment") is not None else None,
        )


@dataclass(frozen=True, slots=True)
class PendingRecord:
    """Written before a create: if the run dies before the result is recorded, the next plan
    knows to look for the object by its identity (and says so)."""

    kind: PendingKind
    address: str  # the resource being created, e.g. "jobs.chunsik"
    identity: str  # the upload filename, or the job inputs hash
    created_at: str  # ISO time, for people
    # When no request the writing run sent for this create can still be on its way (ISO time;
    # None in an intent of an older ftops), and who wrote it (user@host, pid): a later run
    # waits until then before it looks for the object and, only if absent, creates it (issue 22).
    settled_by: str | None = None
    writer: str | None = None
    writer_pid: int | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "address": self.address,
            "identity": self.identity,
            "created_at": self.created_at,
        }
        if self.settled_by is not None:
            data |= {"settled_by": self.settled_by, "writer": self.writer, "writer_pid": self.writer_pid}
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any], address: str) -> PendingRecord:
        r = _Reader(data, address)
        found = r.str_("kind")
        if found == "file":
            kind: PendingKind = "file"
        elif found == "job":
            kind = "job"
        elif found == "deployment":
            kind = "deployment"
        else:
            raise _corrupt(address, f"kind must be 'file', 'job' or 'deployment', found {found!r}")
        return cls(
            kind=kind, address=r.str_("address"), identity=r.str_("identity"),
            created_at=r.str_("created_at"), settled_by=r.opt_str_("settled_by"),
            writer=r.opt_str_("writer"), writer_pid=r.opt_int_("writer_pid"),
        )


@dataclass(frozen=True, slots=True)
class StateRecords:
    """The typed view of a snapshot's resources, keyed by resource NAME (pending: by address)."""

    datasets: Mapping[str, DatasetRecord] = field(default_factory=empty_mapping)
    jobs: Mapping[str, JobRecord] = field(default_factory=empty_mapping)
    models: Mapping[str, ModelRecord] = field(default_factory=empty_mapping)
    pending: Mapping[str, PendingRecord] = field(default_factory=empty_mapping)


R = TypeVar("R")


def read_records(source: StateSnapshot | Mapping[str, Any] | None) -> StateRecords:
    """Parse every record of a snapshot (or of a bare resources mapping); strict.

    The view of the last snapshot read is kept: a plan reads the same snapshot more than once
    (the listing's watermark, then the planner), and the view is immutable."""
    global _last_read
    if source is None:
        return StateRecords()
    if isinstance(source, Mapping):
        return records_of(parse_record(address, source[address]) for address in sorted(source))
    last = _last_read
    if last is not None and last[0]() is source:
        return last[1]
    resources = source.resources
    view = records_of(parse_record(address, resources[address]) for address in sorted(resources))
    _last_read = (weakref.ref(source), view)
    return view


_last_read: tuple[weakref.ref[StateSnapshot], StateRecords] | None = None


def parse_record(address: str, data: Any) -> tuple[str, AnyRecord]:
    """One stored record, strictly: its name and its typed record."""
    if not isinstance(data, Mapping):
        raise _corrupt(address, "the record is not an object")
    kind, _, name = address.partition(".")
    if not name:
        raise _corrupt(address, "the address is not KIND.NAME")
    if kind == "datasets":
        return name, DatasetRecord.from_json(data, address)
    if kind == "jobs":
        return name, JobRecord.from_json(data, address)
    if kind == "models":
        return name, ModelRecord.from_json(data, address)
    if kind == "pending":
        return name, PendingRecord.from_json(data, address)
    raise _corrupt(address, f"unknown kind {kind!r}")


def records_of(parsed: Iterable[tuple[str, AnyRecord]]) -> StateRecords:
    """The typed view of parsed records (``parse_record``), in the order given."""
    datasets: dict[str, DatasetRecord] = {}
    jobs: dict[str, JobRecord] = {}
    models: dict[str, ModelRecord] = {}
    pending: dict[str, PendingRecord] = {}
    for name, record in parsed:
        if isinstance(record, DatasetRecord):
            datasets[name] = record
        elif isinstance(record, JobRecord):
            jobs[name] = record
        elif isinstance(record, ModelRecord):
            models[name] = record
        else:
            pending[name] = record
    return StateRecords(
        datasets=freeze_records(datasets),
        jobs=freeze_records(jobs),
        models=freeze_records(models),
        pending=freeze_records(pending),
    )


def freeze_records(records: dict[str, R]) -> Mapping[str, R]:
    from types import MappingProxyType

    return MappingProxyType(dict(records))


def record_json(record: AnyRecord) -> Mapping[str, Any]:
    """A record as the frozen JSON a snapshot stores."""
    frozen: Mapping[str, Any] = freeze(record.to_json())
    return frozen


AnyRecord = DatasetRecord | JobRecord | ModelRecord | PendingRecord


def with_record(resources: Mapping[str, Any], address: str, record: AnyRecord) -> dict[str, Any]:
    """A copy of ``resources`` with ``address`` set to ``record``."""
    out = dict(resources)
    out[address] = record_json(record)
    return out


def without(resources: Mapping[str, Any], *addresses: str) -> dict[str, Any]:
    """A copy of ``resources`` without ``addresses`` (absent ones ignored)."""
    return {k: v for k, v in resources.items() if k not in addresses}


# ---- strict field reading -------------------------------------------------------------------


def _corrupt(address: str, problem: str) -> StateCorruptError:
    return StateCorruptError(
        f"state record {address} is malformed: {problem}",
        hint="Restore the state from its backup, or remove the record with `ftops state rm` and plan again "
        "(ftops adopts what the account holds).",
    )


class _Reader:
    def __init__(self, data: Mapping[str, Any], address: str) -> None:
        self.data = data
        self.address = address

    def _get(self, key: str, check: Callable[[Any], bool], what: str, *, optional: bool) -> Any:
        if key not in self.data:
            if optional:
                return None
            raise _corrupt(self.address, f"{key} is missing")
        value = self.data[key]
        if value is None and optional:
            return None
        if not check(value):
            raise _corrupt(self.address, f"{key} must be {what}, found {type(value).__name__}")
        return value

    def str_(self, key: str) -> str:
        value: str = self._get(key, lambda v: isinstance(v, str), "a string", optional=False)
        return value

    def opt_str_(self, key: str) -> str | None:
        value: str | None = self._get(key, lambda v: isinstance(v, str), "a string or null", optional=True)
        return value

    def int_(self, key: str) -> int:
        value: int = self._get(key, _is_int, "an integer", optional=False)
        return value

    def opt_int_(self, key: str) -> int | None:
        value: int | None = self._get(key, _is_int, "an integer or null", optional=True)
        return value

    def bool_(self, key: str) -> bool:
        value: bool | None = self._get(key, lambda v: isinstance(v, bool), "true or false", optional=True)
        return bool(value)

    def str_tuple_(self, key: str) -> tuple[str, ...]:
        value = self._get(key, _is_str_list, "a list of strings", optional=True)
        return tuple(value) if value is not None else ()

    def mapping_(self, key: str) -> Mapping[str, Any]:
        value = self._get(key, lambda v: isinstance(v, Mapping), "an object", optional=True)
        frozen: Mapping[str, Any] = freeze(value) if value is not None else empty_mapping()
        return frozen


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
