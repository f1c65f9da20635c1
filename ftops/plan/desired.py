"""What the manifests want, with the facts about local files the planner needs.

The planner is pure, so the file I/O (fingerprinting datasets, counting tokens) happens
before it, in the workflow, and its results arrive here as frozen values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ftops.plan.identity import canonical_json, job_inputs, job_inputs_hash, sha256_hex
from ftops.resources import Job, Project, empty_mapping

if TYPE_CHECKING:
    from ftops.gate.preview import GatePreview


class FingerprintLike(Protocol):
    """What ``ftops.datasets.fingerprint`` returns (and ``DatasetReport`` also has)."""

    @property
    def content_hash(self) -> str: ...
    @property
    def raw_sha256(self) -> str: ...
    @property
    def size_bytes(self) -> int: ...
    @property
    def examples(self) -> int: ...


@dataclass(frozen=True, slots=True)
class DatasetFingerprint:
    content_hash: str  # "sha256:<hex>" of the canonical examples: what jobs are keyed on
    raw_sha256: str  # of the exact bytes uploaded
    size_bytes: int
    examples: int

    @classmethod
    def of(cls, fingerprint: FingerprintLike) -> DatasetFingerprint:
        return cls(
            content_hash=fingerprint.content_hash,
            raw_sha256=fingerprint.raw_sha256,
            size_bytes=fingerprint.size_bytes,
            examples=fingerprint.examples,
        )


@dataclass(frozen=True, slots=True)
class JobEstimate:
    """The estimated cost of training a job once (None: unknown, e.g. no price for its model)."""

    training_tokens: int | None
    usd: float | None
    n_epochs: int | None = None
    tokens_estimated: bool = False  # counted with another model's encoding (see DatasetStats)


@dataclass(frozen=True, slots=True)
class Desired:
    project: Project
    datasets: Mapping[str, DatasetFingerprint] = field(default_factory=empty_mapping)  # by dataset name
    estimates: Mapping[str, JobEstimate] = field(default_factory=empty_mapping)  # by job name
    gates: Mapping[str, GatePreview] = field(default_factory=empty_mapping)  # by gated model name

    def content_hashes(self) -> dict[str, str]:
        return {name: fp.content_hash for name, fp in self.datasets.items()}

    def _job_hashes(self, job: Job) -> dict[str, str]:
        # Only the job's own datasets: building the whole table for every job made a plan
        # quadratic (5 s of a 10,000-resource plan). A missing dataset still raises KeyError.
        names = (job.training_file, job.validation_file)
        return {n: self.datasets[n].content_hash for n in names if n is not None and n in self.datasets}

    def inputs_hash(self, job: Job) -> str:
        return job_inputs_hash(job, self._job_hashes(job))

    def inputs(self, job: Job) -> dict[str, Any]:
        return job_inputs(job, self._job_hashes(job))

    def inputs_digest(self) -> str:
        """What a saved plan was made from: the manifests as a model (not their layout, comments
        or absolute paths) and each dataset's content hash. A plan file whose digest no longer
        matches the current manifests and datasets is stale."""
        body = {
            "project": project_model_json(self.project),
            "datasets": {name: fp.content_hash for name, fp in sorted(self.datasets.items())},
        }
        return "sha256:" + sha256_hex(canonical_json(body))


# Fields that say where something was written, not what it is: moving the repository or
# adding a comment to a manifest does not make a saved plan stale.
_LAYOUT_FIELDS = frozenset({"declared_at", "root", "manifests_dir", "manifest_files", "path"})
# Fields added later (provider aliases, chat prices, deployments and their prices, Azure's
# management plane), left out while unset: a project that does not use them keeps the digest it
# had, so plans saved before them stay fresh.
_OMITTED_WHEN_UNSET = frozenset({"provider", "providers", "chat_pricing", "deployment", "hosting_pricing",
                                 "monthly_hosting_usd", "subscription_id", "resource_group", "account_name",
                                 "management_endpoint"})


def project_model_json(value: Any) -> Any:
    """The project as plain JSON, without layout fields."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: project_model_json(getattr(value, f.name))
            for f in fields(value)
            if f.name not in _LAYOUT_FIELDS
            and not (f.name in _OMITTED_WHEN_UNSET and getattr(value, f.name) in (None, {}))
        }
    if isinstance(value, Mapping):
        return {str(k): project_model_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        items = [project_model_json(v) for v in value]
        return sorted(items, key=canonical_json) if isinstance(value, frozenset | set) else items
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    return value
