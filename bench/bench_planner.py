"""Benchmark of the pure planner, the plan file and the renderers on a large project.

    .venv/bin/python -m bench.bench_planner              # 500 datasets, 500 jobs, 500 models
    .venv/bin/python -m bench.bench_planner --size 100   # a quicker look

A synthetic account and state are built in memory for N datasets, N jobs (each trained,
succeeded) and N model names (each promoted), plus 2N files and jobs of other projects, then
timed (best of --repeat runs):
  1. make_plan from nothing (empty state, empty account): N uploads, N jobs, N promotions;
  2. make_plan when converged: every change a no-op;
  3. make_plan after 10% of the datasets changed: replacements, promotions, prunes;
  4. save + load of the plan file of case 3 (JSON, checksum, strict decoding);
  5. render_text and render_json of case 3 (field diffs with deepdiff).
No network and no file besides the plan file: the planner is pure, so these figures are its
whole cost; the refresh that feeds it is three listings whatever N is.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ftops.plan.desired import DatasetFingerprint, Desired, JobEstimate
from ftops.plan.identity import job_inputs, job_inputs_hash, upload_filename
from ftops.plan.model import Plan
from ftops.plan.observed import Observed, ObservedFile, ObservedJob, ObservedModel
from ftops.plan.options import PlanOptions
from ftops.plan.planfile import load_plan, save_plan
from ftops.plan.planner import make_plan
from ftops.plan.records import DatasetRecord, JobRecord, ModelRecord, record_json
from ftops.provider.types import JobIdentity
from ftops.render import render_json, render_text
from ftops.resources import (
    META_INPUTS,
    META_PROJECT,
    META_RESOURCE,
    ActiveModel,
    Dataset,
    Hyperparameters,
    Job,
    Method,
    Project,
    freeze,
)
from ftops.state import StateSnapshot

BASE = "gpt-4o-mini-2024-07-18"


def _project(n: int) -> Project:
    root = Path("/bench")
    return Project(
        name="bench",
        root=root,
        manifests_dir=root / "manifests",
        manifest_files=(),
        datasets=freeze(
            {f"d{i:04d}": Dataset(f"d{i:04d}", root / f"d{i:04d}.jsonl", f"d{i:04d}.jsonl") for i in range(n)}
        ),
        jobs=freeze(
            {
                f"j{i:04d}": Job(
                    f"j{i:04d}", BASE, f"d{i:04d}", method=Method("supervised", Hyperparameters(n_epochs=3))
                )
                for i in range(n)
            }
        ),
        models=freeze({f"m{i:04d}": ActiveModel(f"m{i:04d}", f"j{i:04d}") for i in range(n)}),
    )


def _desired(project: Project, version: Callable[[int], str]) -> Desired:
    def fp(i: int) -> DatasetFingerprint:
        digest = hashlib.sha256(f"{i}-{version(i)}".encode()).hexdigest()
        return DatasetFingerprint("sha256:" + digest, digest, 1000, 10)

    return Desired(
        project=project,
        datasets=freeze({f"d{i:04d}": fp(i) for i in range(len(project.datasets))}),
        estimates=freeze({name: JobEstimate(30_000, 0.09, 3) for name in project.jobs}),
    )


def _converged(desired: Desired) -> tuple[StateSnapshot, Observed]:
    project = desired.project
    hashes = desired.content_hashes()
    files: dict[str, ObservedFile] = {}
    jobs: dict[str, ObservedJob] = {}
    models: dict[str, ObservedModel] = {BASE: ObservedModel(BASE, "system", 1)}
    resources: dict[str, Any] = {}
    for i, (name, fp) in enumerate(sorted(desired.datasets.items())):
        filename = upload_filename(project.name, name, fp.content_hash)
        files[f"file-{i}"] = ObservedFile(f"file-{i}", filename, 1000, "fine-tune", "processed", i)
        resources[f"datasets.{name}"] = record_json(
            DatasetRecord(f"file-{i}", filename, fp.content_hash, fp.raw_sha256, 1000)
        )
    for i, (name, job) in enumerate(sorted(project.jobs.items())):
        inputs_hash = job_inputs_hash(job, hashes)
        ft = f"ft:{BASE}:bench::{i}"
        meta = {META_PROJECT: project.name, META_RESOURCE: job.address, META_INPUTS: inputs_hash}
        jobs[f"ftjob-{i}"] = ObservedJob(
            f"ftjob-{i}", "succeeded", BASE, f"file-{i}", None, ft, freeze(meta), i, i + 1,
            identity=JobIdentity(project.name, job.address, inputs_hash),
        )
        models[ft] = ObservedModel(ft, "org", i)
        resources[f"jobs.{name}"] = record_json(
            JobRecord(
                f"ftjob-{i}",
                inputs_hash,
                "succeeded",
                BASE,
                f"file-{i}",
                None,
                ft,
                inputs=freeze(job_inputs(job, hashes)),
            )
        )
        resources[f"models.m{i:04d}"] = record_json(ModelRecord(ft, f"ftjob-{i}"))
    for i in range(2 * len(project.datasets)):  # other projects' objects, in the same listings
        files[f"other-{i}"] = ObservedFile(f"other-{i}", f"data-{i}.jsonl", 10, "fine-tune", "processed", i)
        jobs[f"other-{i}"] = ObservedJob(
            f"other-{i}",
            "succeeded",
            BASE,
            f"other-{i}",
            None,
            None,
            freeze({META_PROJECT: "someone-else"}),
            i,
            identity=JobIdentity("someone-else", None, ""),
        )
    state = StateSnapshot(
        lineage="6f1c2a4e-0b7d-4a53-9a57-1f9a3b7f5c11", serial=7, resources=resources, project=project.name
    )
    return state, Observed(files=freeze(files), jobs=freeze(jobs), models=freeze(models))


def _best(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=500, help="datasets, jobs and model names (each)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.size
    project = _project(n)
    v1 = _desired(project, lambda i: "v1")
    v2 = _desired(project, lambda i: "v2" if i % 10 == 0 else "v1")
    state, observed = _converged(v1)
    empty = Observed()
    options = PlanOptions()

    results: list[tuple[str, float, str]] = []
    plan: Plan = make_plan(v1, None, empty, options)
    results.append(
        (
            "plan from nothing",
            _best(args.repeat, lambda: make_plan(v1, None, empty, options)),
            f"{len(plan.actionable)} changes",
        )
    )
    plan = make_plan(v1, state, observed, options)
    assert not plan.has_changes, "the synthetic account should be converged"
    results.append(
        (
            "plan when converged",
            _best(args.repeat, lambda: make_plan(v1, state, observed, options)),
            f"{len(plan.changes)} no-ops",
        )
    )
    plan = make_plan(v2, state, observed, options)
    results.append(
        (
            "plan after 10% edits",
            _best(args.repeat, lambda: make_plan(v2, state, observed, options)),
            f"{len(plan.actionable)} changes",
        )
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.json"
        results.append(
            (
                "plan file save+load",
                _best(args.repeat, lambda: load_plan(path) if save_plan(plan, path) is None else None),
                f"{path.stat().st_size / 1024:.0f} KiB",
            )
        )
    results.append(
        ("render text", _best(args.repeat, lambda: render_text(plan)), f"{len(render_text(plan)):,} chars")
    )
    results.append(("render json", _best(args.repeat, lambda: render_json(plan)), ""))

    print(
        f"planner benchmark: {n} datasets, {n} jobs, {n} model names; {len(observed.files)} files, "
        f"{len(observed.jobs)} jobs, {len(observed.models)} models in the account (best of {args.repeat})"
    )
    for label, seconds, note in results:
        print(f"  {label:<22} {seconds * 1000:9.1f} ms   {note}")


if __name__ == "__main__":
    main()
