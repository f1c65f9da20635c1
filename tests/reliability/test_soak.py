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
from ftops.plan.options import PlanOptions

from .soak_world import World
from .support import Run

DEFAULT_ROUNDS = 15


def rounds(config: pytest.Config) -> int:
    option = config.getoption("--soak-rounds")
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


def test_soak_random_edits_converge_every_round(project: Project, run: Run, request: pytest.FixtureRequest,
                                                capsys: pytest.CaptureFixture[str]) -> None:
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
    changes = 0
    for number in range(1, total + 1):
        if number > 1:
            for _ in range(world.rng.randint(1, 3)):
                world.edit()
        world.write(project)
        context = f"seed {seed}, round {number}: {world.log[-3:]}"
        if number % 5 == 0:  # through the CLI, as a user runs it
            applied = run("apply", "--auto-approve", "--wait")
            assert applied.code == 0, (context, applied.text)
            again = run("plan", "--detailed-exitcode")
            assert again.code == 0, (context, again.text)
        else:
            result = workflow.apply(settings, hooks, options=options, wait=WaitOptions(timeout=120))
            assert result.result is None or not result.result.failed, context
            changes += len(result.plan.changes)
            assert not workflow.plan(settings, options).plan.has_changes, context
        assert_state_is_the_truth(project, world)
        assert not json.dumps(project.state()).count("pending."), context
    with capsys.disabled():
        print(f"\nsoak: {total} rounds, seed {seed}, {len(world.log)} edits, {changes} planned changes "
              f"(API rounds), {len(project.emulator.requests())} requests, "
              f"{time.monotonic() - started:.0f}s; duplicates found: 0")
