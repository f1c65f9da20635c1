"""Soak (issue 8, item 8): rounds of random manifest edits (add, remove and change datasets,
jobs and model names), each planned and applied with --wait on the emulator (speed 2000).
After every round the state equals the account's truth, nothing was uploaded or trained
twice, and a second plan has no change.

Rounds go through the Python API (``ftops.workflow``) in this process, with every fifth
round through the CLI. 15 rounds by default; the full 200 with ``FTOPS_SOAK_ROUNDS=200``
(or ``--soak-rounds 200``); ``FTOPS_SOAK_SEED`` picks the edits (docs/reliability.md).
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter
from datetime import date
from typing import Any

import pytest
from e2e.support import Project

from ftops import workflow
from ftops.apply import WaitOptions, make_reporter
from ftops.errors import FtopsError
from ftops.plan.options import PlanOptions

from .soak_world import World
from .support import Run

DEFAULT_ROUNDS = 15


def rounds(config: pytest.Config) -> int:
    option = config.getoption("--soak-rounds", default=None)  # absent when this conftest loads late
    return int(option if option is not None else os.environ.get("FTOPS_SOAK_ROUNDS", DEFAULT_ROUNDS))


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []


def assert_state_is_the_truth(project: Project, world: World) -> None:
    state = project.state()["resources"]
    expected = ({f"datasets.{n}" for n in world.datasets} | {f"jobs.{n}" for n in world.jobs}
                | {f"models.{n}" for n in world.models})
    assert set(state) == expected, sorted(set(state) ^ expected)
    files = {f.id: f for f in project.our_files()}
    jobs = {j.id: j for j in project.our_jobs()}
    models = project.model_ids()
    # Every upload of ours in the account is a declared dataset's, once: no leak, no duplicate.
    assert {state[f"datasets.{n}"]["file_id"] for n in world.datasets} == set(files), files
    for name in world.jobs:
        record = state[f"jobs.{name}"]
        job = jobs[record["job_id"]]
        assert job.status == "succeeded", (name, job.status, job.error)
        assert record.get("status", job.status) == job.status, (name, record)
    for name in world.models:
        model_id = state[f"models.{name}"]["model_id"]
        assert model_id in models, (name, model_id)
        assert model_id == jobs[state[f"jobs.{world.models[name].job}"]["job_id"]].fine_tuned_model
    trained = Counter((j.metadata["ftops_resource"], j.metadata["ftops_inputs"]) for j in jobs.values())
    assert max(trained.values()) == 1, [k for k, n in trained.items() if n > 1]  # never trained twice
    # Fine-tuned models left in the account: only those the state still holds (names, kept
    # previous models, declared jobs' models); the rest were pruned.
    held = {s for s in strings(state) if s.startswith("ft:")}
    held |= {jobs[state[f"jobs.{n}"]["job_id"]].fine_tuned_model for n in world.jobs}
    ours = {j.fine_tuned_model for j in jobs.values() if j.fine_tuned_model}
    assert (ours & models) <= held, sorted((ours & models) - held)


# Light faults for the soak under faults: refusals and errors everywhere, and creates whose
# answer is lost (the work done), so adoption is exercised round after round.
SOAK_FAULTS = ("429:0.04,500:0.04,retry-after:0.02s,seed:{seed}; "
               "[POST /v1/files] drop-after:0.1,seed:{seed}; "
               "[POST /v1/fine_tuning/jobs] drop-after:0.1,seed:{seed}; "
               "[DELETE /v1/models/*] drop-after:0.2,seed:{seed}")


@pytest.mark.parametrize("faulty", [False, True], ids=["clean", "under-faults"])
def test_soak_random_edits_converge_every_round(project: Project, run: Run, request: pytest.FixtureRequest,
                                                capsys: pytest.CaptureFixture[str], faulty: bool) -> None:
    total = rounds(request.config)
    seed = int(os.environ.get("FTOPS_SOAK_SEED", "20261124"))
    world = World(random.Random(seed))
    world.add_dataset()
    world.add_job()
    world.add_model()
    settings = workflow.Settings(manifests=project.root / "manifests")
    options = PlanOptions(today=date.today())
    hooks = workflow.ApplyHooks(show=lambda plan: None, approve=lambda plan: True,
                                reporter=lambda: make_reporter(False))
    started = time.monotonic()
    changes = failed_runs = injected = 0
    for number in range(1, total + 1):
        if number > 1:
            for _ in range(world.rng.randint(1, 3)):
                world.edit()
        world.write(project)
        context = f"seed {seed}, round {number}: {world.log[-3:]}"
        project.emulator.clear_requests()
        if faulty:
            project.emulator.set_faults(SOAK_FAULTS.format(seed=seed + number))
        if number % 5 == 0:  # through the CLI, as a user runs it
            applied = run("apply", "--auto-approve", "--wait")
            ok = applied.code == 0
            assert ok or faulty, (context, applied.text)
            assert "Traceback" not in applied.err and "internal error" not in applied.err, applied.err
        else:
            try:
                result = workflow.apply(settings, hooks, options=options, wait=WaitOptions(timeout=120))
                ok = result.result is None or not result.result.failed
                changes += len(result.plan.changes)
            except FtopsError:  # a clear failure (e.g. retries used up); the next run finishes
                ok = False
            assert ok or faulty, context
        injected += sum(1 for r in project.emulator.requests() if r.fault not in (None, "latency"))
        project.emulator.set_faults(None)
        if not ok:  # under faults, a run may fail clearly: the next one, fault-free, converges
            failed_runs += 1
            rerun = run("apply", "--auto-approve", "--wait")
            assert rerun.code == 0, (context, rerun.text)
        again = run("plan", "--detailed-exitcode") if number % 5 == 0 else None
        assert again is None or again.code == 0, (context, again and again.text)
        assert not workflow.plan(settings, options).plan.has_changes, context
        assert_state_is_the_truth(project, world)
        assert not json.dumps(project.state()).count("pending."), context
    assert injected > 0 or not faulty
    with capsys.disabled():
        label = "soak under faults" if faulty else "soak"
        print(f"\n{label}: {total} rounds, seed {seed}, {len(world.log)} edits, "
              f"{changes} planned changes (API rounds), {injected} faults injected, {failed_runs} runs "
              f"failed clearly and were finished by the next, {time.monotonic() - started:.0f}s; "
              "duplicates found: 0")
