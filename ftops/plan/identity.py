"""Identity: the names and tags that let ftops find, in the account itself, what it created.

A crash between a create and the state write, a response lost in transit, or a lost state
file must never lead to a second upload or a second (paid) job. So every object ftops
creates carries its identity: an upload is named from its project, dataset and content
hash; a job is tagged with its project, its address and the hash of all its inputs. The
planner adopts an object with the right identity instead of creating it again. Where and
how a job carries its identity is the adapter's business (``JobSpec.identity``; on OpenAI,
metadata tags); here it is only computed.

The inputs hash is over one canonical JSON form of a job's inputs, frozen as it was first
written: every job already created carries its hash, and a hash that moved would plan each
of them again as a paid replacement. ``canonical_method`` and ``canonical_integration`` are
that form (it happens to be the shape of OpenAI's API, where it came from); they must not
change, and tests/plan/test_inputs_hash_pinned.py holds them to known hashes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, Final

from ftops.provider.types import JobIdentity, JobSpec
from ftops.resources import Integration, Job, Method, thaw

HASH12: Final = 12
_HEX = re.compile(r"^[0-9a-f]+$")


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, compact separators, UTF-8 kept as is."""
    return json.dumps(thaw(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hash_hex(content_hash: str) -> str:
    """The hex digits of a content hash, with or without its ``sha256:`` prefix."""
    return content_hash.split(":", 1)[1] if ":" in content_hash else content_hash


def upload_filename(project: str, dataset: str, content_hash: str) -> str:
    """``ftops-<project>--<dataset>--<hash12>.jsonl``: the identity of one upload."""
    return f"ftops-{project}--{dataset}--{hash_hex(content_hash)[:HASH12]}.jsonl"


def parse_upload_filename(project: str, filename: str, dataset_names: frozenset[str]) -> str | None:
    """The dataset an upload of ``project`` was made for, or None when the name is not ours.

    Only exact ``<known dataset>--<12 hex>.jsonl`` tails are accepted, so another project whose
    name merely starts like ours is never mistaken for this one."""
    prefix = f"ftops-{project}--"
    if not filename.startswith(prefix) or not filename.endswith(".jsonl"):
        return None
    tail = filename[len(prefix) : -len(".jsonl")]
    dataset, sep, digest = tail.rpartition("--")
    if not sep or len(digest) != HASH12 or not _HEX.match(digest) or dataset not in dataset_names:
        return None
    return dataset


def canonical_method(method: Method) -> dict[str, Any]:
    """``{"type": t, t: {"hyperparameters": {given ones}, "grader": ...}}``; frozen (see above)."""
    body: dict[str, Any] = {}
    hyperparameters = method.hyperparameters
    given = {
        name: getattr(hyperparameters, name)
        for name in hyperparameters.__slots__
        if getattr(hyperparameters, name) is not None
    }
    if given:
        body["hyperparameters"] = given
    if method.grader is not None:
        body["grader"] = thaw(method.grader)
    if method.training is not None:  # only when given, so that every earlier hash stands
        body["training"] = method.training
    return {"type": method.type, method.type: body}


def canonical_integration(integration: Integration) -> dict[str, Any]:
    """``{"type": t, t: {settings}}``; frozen (see above)."""
    return {"type": integration.type, integration.type: thaw(integration.settings)}


def job_inputs(job: Job, content_hashes: Mapping[str, str]) -> dict[str, Any]:
    """Every input of a job that the service fixes at creation, as plain JSON.

    Datasets enter by content hash (not file id), so re-uploading the same bytes does not
    retrain, while editing one example does."""
    validation = content_hashes[job.validation_file] if job.validation_file is not None else None
    return {
        "model": job.model,
        "training_file": {"dataset": job.training_file, "content_hash": content_hashes[job.training_file]},
        "validation_file": (
            None
            if job.validation_file is None
            else {"dataset": job.validation_file, "content_hash": validation}
        ),
        "method": canonical_method(job.method),
        "suffix": job.suffix,
        "seed": job.seed,
        "metadata": thaw(job.metadata),
        "integrations": [canonical_integration(integration) for integration in job.integrations],
    }


def job_inputs_hash(job: Job, content_hashes: Mapping[str, str]) -> str:
    """sha256 (hex) of the canonical JSON of every input; stored with the job as its identity.

    Datasets count by content only: renaming a dataset in the manifests (same bytes) must not
    pay for a new job, while ``job_inputs`` keeps the names for people reading a diff."""
    inputs = job_inputs(job, content_hashes)
    for key in ("training_file", "validation_file"):
        if inputs[key] is not None:
            inputs[key] = {"content_hash": inputs[key]["content_hash"]}
    return sha256_hex(canonical_json(inputs))


def job_spec(project: str, job: Job, inputs_hash: str) -> JobSpec:
    """What to create for ``job``, in neutral terms: the adapter encodes it for its service."""
    return JobSpec(
        identity=JobIdentity(project=project, resource=job.address, inputs_hash=inputs_hash),
        model=job.model,
        training_dataset=job.training_file,
        validation_dataset=job.validation_file,
        method=job.method,
        suffix=job.suffix,
        seed=job.seed,
        user_metadata=job.metadata,
        integrations=job.integrations,
    )
