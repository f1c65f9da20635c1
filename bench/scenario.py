"""A large converged project on a seeded emulator: the ground the plan and apply benchmarks stand on.

``build`` writes a project (manifests of N datasets, N jobs and M model names, each dataset a
tiny valid chat file with its own content), computes what ftops wants from it (the real
dataset checks), then seeds the emulator's SQLite store directly (10,000 uploads through HTTP
would measure the uploads, not the plan):

- files: the project's uploads, named as ftops names them (``upload_filename``), among
  other projects' fine-tune files;
- jobs: for each declared job, one succeeded job tagged exactly as ftops tags it (project,
  address, inputs hash), plus older succeeded jobs of the same addresses with other inputs
  (the project's history), among other projects' and untagged jobs;
- fine-tuned models: each current job's model, among other projects' models.

``converge`` then runs one real ``apply`` through the Python API: with an empty state it adopts
every object it finds (no upload, no job: zero mutating requests, checked), which writes the
state a real project would have. After that, a plan is a pure no-op, as on a project that has
been applied for months.
"""

from __future__ import annotations

import io
import json
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from ftops.emulator import EmulatorConfig, RunningEmulator, start_background
from ftops.emulator.lifecycle import make_plan
from ftops.plan.desired import Desired
from ftops.plan.identity import job_spec, upload_filename
from ftops.provider.openai.encode import job_request
from ftops.resources import Job, Project

PROJECT = "bench"
BASE_MODEL = "gpt-4o-mini-2024-07-18"
API_KEY = "bench-key"  # the emulator takes any bearer key; no real key is ever involved
ORG = "org-emulator"


@dataclass(frozen=True)
class Scale:
    datasets: int
    jobs: int
    models: int  # model names declared (each promotes one job's model)
    account_files: int  # fine-tune files in the account, the project's included
    account_jobs: int  # jobs in the account, the project's included
    project_jobs: int  # of those, tagged for this project (≥ jobs: the rest is history)
    account_models: int  # fine-tuned models in the account, the project's included

    @property
    def state_resources(self) -> int:
        return self.datasets + self.jobs + self.models


# The figure: 500 datasets, 500 jobs, 100 names; 10,000 files, 5,000 jobs (1,000 ours),
# 1,000 fine-tuned models.
FULL = Scale(500, 500, 100, 10_000, 5_000, 1_000, 1_000)


def proportional(resources: int) -> Scale:
    """A project of about ``resources`` state resources in the issue's proportions (500:500:100),
    in an account holding twice as much of everything besides."""
    datasets = max(1, round(resources * 5 / 11))
    models = max(1, resources - 2 * datasets)
    return Scale(datasets, datasets, models, 3 * datasets, 3 * datasets, 2 * datasets, 3 * datasets)


def write_project(root: Path, scale: Scale, base_url: str) -> Path:
    """Manifests (several files, as a real project splits them) and one dataset file per dataset."""
    manifests, data = root / "manifests", root / "datasets"
    manifests.mkdir(parents=True)
    data.mkdir()
    for i in range(scale.datasets):
        lines = [
            json.dumps({"messages": [
                {"role": "system", "content": "You answer questions about the catalogue."},
                {"role": "user", "content": f"What is item {i}-{n}?"},
                {"role": "assistant", "content": f"Item {i}-{n} is a sample answer for dataset {i}."},
            ]})
            for n in range(10)
        ]
        (data / f"d{i:05d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    head = (
        f"project: {PROJECT}\n"
        f"provider:\n  type: openai\n  base_url: {base_url}\n"
        "backend:\n  type: local\n  path: state/ftops.state.json\n"
    )
    parts = max(1, min(10, scale.datasets // 50))
    for part in range(parts):
        text = head if part == 0 else ""
        indices = range(part, scale.datasets, parts)
        text += "datasets:\n" + "".join(
            f"  d{i:05d}:\n    file: ../datasets/d{i:05d}.jsonl\n    format: chat\n" for i in indices
        )
        jobs = [i for i in range(part, scale.jobs, parts)]
        if jobs:
            text += "jobs:\n" + "".join(
                f"  j{i:05d}:\n    model: {BASE_MODEL}\n    training_file: d{i % scale.datasets:05d}\n"
                f"    method:\n      type: supervised\n      hyperparameters: {{n_epochs: 3}}\n"
                f"    suffix: j{i:05d}\n"
                for i in jobs
            )
        names = [i for i in range(part, scale.models, parts)]
        if names:
            text += "models:\n" + "".join(f"  m{i:05d}:\n    job: j{i:05d}\n" for i in names)
        (manifests / f"part{part:02d}.yaml").write_text(text, encoding="utf-8")
    return manifests


def _job_row(job_id: str, file_id: str, model: str, suffix: str, created: float,
             metadata: dict[str, str] | None, succeeded: bool = True) -> tuple[object, ...]:
    plan = make_plan(
        fine_tuned_model=model, examples=10, tokens_per_epoch=300, n_epochs=3, batch_size=1,
        learning_rate_multiplier=2.0, has_validation=False, seed=7, failure=None,
    )
    body = {
        "model": BASE_MODEL, "training_file": file_id, "validation_file": None, "method": "supervised",
        "given": {"n_epochs": 3},
        "resolved": {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 2.0},
        "grader": None, "suffix": suffix, "seed": 7, "integrations": None, "metadata": metadata,
    }
    state = "succeeded" if succeeded else "active"
    return (job_id, json.dumps(body), json.dumps(plan.to_json()), created, 1.0, state, plan.end,
            created + 600 if succeeded else None)


def _tags(project: str, job: Job, inputs_hash: str) -> dict[str, str]:
    """The metadata OpenAI keeps for a job ftops created (what the OpenAI adapter sends)."""
    metadata: dict[str, str] = job_request(job_spec(project, job, inputs_hash), "file-x", None)["metadata"]
    return metadata


def seed(emulator: RunningEmulator, desired: Desired, scale: Scale) -> None:
    """Write the account described in the module docstring straight into the emulator's store."""
    project = desired.project
    now = time.time() - 86_400  # a day ago: every job finished long since
    # The project trained once an hour before that, its history first (a project that has run
    # 1,000 jobs did so over weeks); the service lists jobs newest first, as rows are stored.
    hour = 3_600
    history = scale.project_jobs - scale.jobs
    first_job = now - (scale.project_jobs + 1) * hour
    files: list[tuple[object, ...]] = []
    jobs: list[tuple[object, ...]] = []
    metadata: list[tuple[str, str, str]] = []
    models: list[tuple[object, ...]] = []
    for i, (name, fp) in enumerate(sorted(desired.datasets.items())):
        files.append((f"file-ours{i:07d}", upload_filename(project.name, name, fp.content_hash),
                      "fine-tune", fp.size_bytes, now + i))
    for i in range(scale.account_files - len(files)):
        files.append((f"file-other{i:07d}", f"data-{i}.jsonl", "fine-tune", 4096, now + i))
    file_of = {name: f"file-ours{i:07d}" for i, name in enumerate(sorted(desired.datasets))}

    def add_job(job_id: str, tags: dict[str, str] | None, file_id: str, model: str | None,
                suffix: str, created: float) -> None:
        jobs.append(_job_row(job_id, file_id, model or f"ft:{BASE_MODEL}:{ORG}:{suffix}:gone{job_id[-6:]}",
                             suffix, created, tags))
        metadata.extend((job_id, key, value) for key, value in (tags or {}).items())

    for i, name in enumerate(sorted(project.jobs)):
        job = project.jobs[name]
        inputs_hash = desired.inputs_hash(job)
        model = f"ft:{BASE_MODEL}:{ORG}:{job.suffix}:cur{i:05d}"
        add_job(f"ftjob-ours{i:07d}", _tags(project.name, job, inputs_hash),
                file_of[job.training_file], model, job.suffix or "", first_job + (history + i) * hour)
        models.append((model, int(first_job) + (history + i) * hour + 600, ORG, f"ftjob-ours{i:07d}", 0))
    names = sorted(project.jobs)
    for i in range(scale.project_jobs - len(names)):  # history: earlier inputs of the same jobs
        job = project.jobs[names[i % len(names)]]
        tags = _tags(project.name, job, f"{i:064x}")
        add_job(f"ftjob-hist{i:07d}", tags, file_of[job.training_file], None, job.suffix or "",
                first_job + i * hour)
    for i in range(scale.account_jobs - scale.project_jobs):
        other: dict[str, str] | None = {"ftops_project": "someone-else", "team": "other"} if i % 2 else None
        model = f"ft:{BASE_MODEL}:{ORG}:other:oth{i:05d}"
        add_job(f"ftjob-other{i:07d}", other, "file-other0000000", model, "other", first_job + i * 60)
        if len(models) < scale.account_models:
            models.append((model, int(now) + i, ORG, f"ftjob-other{i:07d}", 0))
    jobs.sort(key=lambda row: (row[3], row[0]))  # stored (and so listed) in order of creation
    with emulator.store.transaction() as conn:
        conn.executemany(
            "INSERT INTO files (id, filename, purpose, bytes, created_at) VALUES (?, ?, ?, ?, ?)", files
        )
        conn.executemany(
            "INSERT INTO jobs (id, body, plan, created_at, speed, state, synced_v, ended_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            jobs,
        )
        conn.executemany("INSERT INTO job_metadata (job_id, key, value) VALUES (?, ?, ?)", metadata)
        conn.executemany(
            "INSERT INTO models (id, created, owned_by, job_id, deleted) VALUES (?, ?, ?, ?, ?)", models
        )


@dataclass
class Scenario:
    root: Path
    manifests: Path
    emulator: RunningEmulator
    desired: Desired
    scale: Scale

    @property
    def project(self) -> Project:
        return self.desired.project

    def stop(self) -> None:
        self.emulator.stop()


def build(root: Path, scale: Scale) -> Scenario:
    """Start an emulator (data under ``root``), write the project, seed the account."""
    from ftops import workflow

    os.environ["OPENAI_API_KEY"] = API_KEY
    emulator = start_background(EmulatorConfig(data_dir=root / "emulator"))
    try:
        manifests = write_project(root / "project", scale, emulator.base_url)
        desired = workflow.load(workflow.Settings(manifests=manifests))
        seed(emulator, desired, scale)
    except BaseException:
        emulator.stop()
        raise
    return Scenario(root, manifests, emulator, desired, scale)


def apply_once(scenario: Scenario) -> tuple[int, int, int]:
    """One ``apply --auto-approve`` through the Python API; returns (changes applied, requests,
    mutating requests) as the emulator's request log counts them."""
    from ftops import workflow
    from ftops.apply import PlainReporter
    from ftops.plan.options import PlanOptions

    hooks = workflow.ApplyHooks(
        show=lambda plan: None, approve=lambda plan: True,
        reporter=lambda: PlainReporter(io.StringIO()),
    )
    scenario.emulator.clear_requests()
    run = workflow.apply(workflow.Settings(manifests=scenario.manifests), hooks, options=PlanOptions())
    log = scenario.emulator.requests()
    changes = len(run.plan.actionable) if run.result is not None else 0
    return changes, len(log), sum(1 for r in log if r.mutating)


def converge(scenario: Scenario) -> None:
    """Adopt everything the seeded account holds; refuse to go on if that took any mutation."""
    changes, _, mutating = apply_once(scenario)
    if mutating:
        raise RuntimeError(f"adopting the seeded account made {mutating} mutating requests")
    if changes < scenario.scale.state_resources:
        raise RuntimeError(f"adoption applied {changes} changes, expected {scenario.scale.state_resources}")


def converge_in_one_write(scenario: Scenario) -> None:
    """The state ``converge`` would write, in one state write instead of one per step.

    ``apply`` writes the state after every step (so an interrupted run leaves a trace); for
    10,000 adoptions that is 10,000 writes of a growing document, which would measure the
    journal, not the plan. The records are the same: the adoption plan's own steps, folded
    with the bookkeeping functions the executor uses."""
    from ftops.plan.bookkeeping import after_promote, after_step
    from ftops.plan.listing import next_job_watermark
    from ftops.plan.model import AdoptObject, PromoteModel
    from ftops.plan.options import PlanOptions
    from ftops.plan.planner import make_plan
    from ftops.plan.records import read_records
    from ftops.provider import refresh
    from ftops.state import new_snapshot, open_storage
    from ftops.workflow import open_provider

    project = scenario.project
    with open_provider(project.provider, project.root) as provider:
        observed = refresh(provider, project.name)
    plan = make_plan(scenario.desired, None, observed, PlanOptions())
    resources: dict[str, object] = {}
    promotions: list[PromoteModel] = []
    for change in plan.changes:
        for step in change.steps:
            if isinstance(step, AdoptObject):
                resources = after_step(resources, step)
            elif isinstance(step, PromoteModel):
                promotions.append(step)
            else:
                raise RuntimeError(f"adoption planned {type(step).__name__} for {change.address}")
    jobs = read_records(resources).jobs
    for step in promotions:
        job = jobs[step.job_address.removeprefix("jobs.")]
        if job.fine_tuned_model is None:
            raise RuntimeError(f"{step.job_address} has no model to promote")
        resources = after_promote(resources, step, model_id=job.fine_tuned_model, job_id=job.job_id)
    storage = open_storage(project.backend, project.root)
    try:
        # With the job watermark the first apply's refresh would record (ftops.plan.listing).
        snapshot = replace(new_snapshot(project.name), job_watermark=next_job_watermark(observed))
        storage.write(snapshot.with_resources(resources))
    finally:
        storage.close()
