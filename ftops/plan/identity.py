"""Identity: the names and tags that let ftops find, in the account itself, what it created.

A crash between a create and the state write, a response lost in transit, or a lost state
file must never lead to a second upload or a second (paid) job. So every object ftops
creates carries its identity: an upload is named from its project, dataset and content
hash; a job is tagged with its project, its address and the hash of all its inputs. The
planner adopts an object with the right identity instead of creating it again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, Final

from ftops.resources import META_INPUTS, META_PROJECT, META_RESOURCE, Job, thaw

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
        "method": job.method.to_api(),
        "suffix": job.suffix,
        "seed": job.seed,
        "metadata": thaw(job.metadata),
        "integrations": [integration.to_api() for integration in job.integrations],
    }


def job_inputs_hash(job: Job, content_hashes: Mapping[str, str]) -> str:
    """sha256 (hex) of the canonical JSON of every input; written as the ``ftops_inputs`` tag.

    Datasets count by content only: renaming a dataset in the manifests (same bytes) must not
    pay for a new job, while ``job_inputs`` keeps the names for people reading a diff."""
    inputs = job_inputs(job, content_hashes)
    for key in ("training_file", "validation_file"):
        if inputs[key] is not None:
            inputs[key] = {"content_hash": inputs[key]["content_hash"]}
    return sha256_hex(canonical_json(inputs))


def job_metadata(project: str, job: Job, inputs_hash: str) -> dict[str, str]:
    """The user's metadata plus ftops's three tags (the loader refuses reserved keys in manifests)."""
    tags = {META_PROJECT: project, META_RESOURCE: job.address, META_INPUTS: inputs_hash}
    return {**{str(k): str(v) for k, v in job.metadata.items()}, **tags}


def job_request(project: str, job: Job, inputs_hash: str) -> dict[str, Any]:
    """The body of ``POST /fine_tuning/jobs``, datasets left as ``{"dataset": NAME}`` placeholders
    that the executor replaces with the file ids of the uploads."""
    body: dict[str, Any] = {
        "model": job.model,
        "training_file": {"dataset": job.training_file},
        "method": job.method.to_api(),
        "metadata": job_metadata(project, job, inputs_hash),
    }
    if job.validation_file is not None:
        body["validation_file"] = {"dataset": job.validation_file}
    if job.suffix is not None:
        body["suffix"] = job.suffix
    if job.seed is not None:
        body["seed"] = job.seed
    if job.integrations:
        body["integrations"] = [integration.to_api() for integration in job.integrations]
    return body


def is_tagged_for(metadata: Mapping[str, str], project: str, address: str | None = None) -> bool:
    """Whether a job's metadata says it belongs to ``project`` (and to ``address``, if given)."""
    if metadata.get(META_PROJECT) != project:
        return False
    return address is None or metadata.get(META_RESOURCE) == address
