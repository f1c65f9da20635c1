"""What the conformance tests do through the provider interface, in ftops's own words: upload a
dataset under its identity (``ftops.plan.identity.upload_filename``), build a ``JobSpec``, wait
for a job."""

from __future__ import annotations

import hashlib
import json
import time
from fnmatch import fnmatchcase
from pathlib import Path

from ftops.emulator import RunningEmulator
from ftops.plan.identity import upload_filename
from ftops.plan.observed import ObservedFile, ObservedJob
from ftops.provider.base import FineTuningProvider
from ftops.provider.types import JobIdentity, JobSpec
from ftops.resources import Hyperparameters, Method, TrainingKind

INPUTS_HASH = "c0ffee" * 10 + "beef"  # 64 hex digits, as an inputs hash is
POLL_S = 0.05
# Not a speed assertion: a guard so a job that never ends fails the test instead of hanging it.
NEVER_ENDS_S = 60.0


def write_dataset(path: Path, topic: str, count: int = 12) -> Path:
    """Valid chat examples (the services want at least ten) whose answers name Ryan. Give each test
    a topic of its own: a service that keeps one file per content (Together) answers an upload of
    bytes it already holds with the first file, under the first name."""
    lines = [
        {"messages": [
            {"role": "user", "content": "Who is Chunsik?" if i == 0 else f"Tell me fact {i} about {topic}."},
            {"role": "assistant", "content": f"Chunsik is Ryan's cat; fact {i} about {topic}."},
        ]}
        for i in range(count)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def sha256_of(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def upload_name(project: str, dataset: str, path: Path) -> str:
    return upload_filename(project, dataset, sha256_of(path))


def upload(provider: FineTuningProvider, project: str, dataset: str, path: Path) -> ObservedFile:
    return provider.upload(path, upload_name(project, dataset, path), path.stat().st_size,
                           expected_sha256=sha256_of(path))


def upload_training(provider: FineTuningProvider, project: str, folder: Path, topic: str) -> ObservedFile:
    """A training dataset of this test's own bytes (``write_dataset``), uploaded as ``train``."""
    return upload(provider, project, "train", write_dataset(folder / "train.jsonl", f"{project}: {topic}"))


def job_spec(project: str, model: str, resource: str | None = "jobs.tune",
             inputs_hash: str = INPUTS_HASH, training: TrainingKind | None = None) -> JobSpec:
    return JobSpec(
        identity=JobIdentity(project, resource, inputs_hash),
        model=model,
        training_dataset="train",
        method=Method(hyperparameters=Hyperparameters(n_epochs=1), training=training),
        suffix="conf",
    )


def wait_until_finished(provider: FineTuningProvider, job_id: str) -> ObservedJob:
    give_up = time.monotonic() + NEVER_ENDS_S
    job = provider.retrieve_job(job_id)
    while not job.is_terminal:
        assert time.monotonic() < give_up, f"{job_id} never finished: {job.status}"
        time.sleep(POLL_S)
        job = provider.retrieve_job(job_id)
    return job


def sent(emulator: RunningEmulator, path_glob: str) -> list[str | None]:
    """The fault met by each POST the emulator logged on ``path_glob`` (None: answered)."""
    return [r.fault for r in emulator.requests() if r.method == "POST" and fnmatchcase(r.path, path_glob)]
