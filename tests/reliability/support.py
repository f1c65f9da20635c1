"""The reliability suite's project: 3 datasets, 3 jobs and 2 model names, on the end-to-end
helpers (``e2e.support``), plus the checks every test makes after converging."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable
from typing import Any

import pytest
from e2e.support import Project, Result, spawn

Run = Callable[..., Result]

# The long versions (full retrain crash matrix, 200-round soak) run only when asked:
# FTOPS_RELIABILITY_FULL=1 pytest tests/reliability  (docs/reliability.md).
FULL = os.environ.get("FTOPS_RELIABILITY_FULL") == "1"
full_only = pytest.mark.skipif(not FULL, reason="long version: set FTOPS_RELIABILITY_FULL=1")

# Three datasets, three jobs (c reads a dataset another job also reads), two names, both checked.
MANIFEST = """\
project: e2e
provider:
  type: openai
  base_url: {base_url}
backend:
  type: local
  path: state/ftops.state.json
datasets:
  train:
    file: ../datasets/train.jsonl
  valid:
    file: ../datasets/valid.jsonl
  extra:
    file: ../datasets/extra.jsonl
jobs:
  a:
    model: gpt-4o-mini-2024-07-18
    training_file: train
    validation_file: valid
    suffix: a
    method:
      type: supervised
      hyperparameters:
        n_epochs: 1
  b:
    model: gpt-4o-mini-2024-07-18
    training_file: extra
    suffix: b
    method:
      type: supervised
      hyperparameters:
        n_epochs: 1
  c:
    model: gpt-4o-mini-2024-07-18
    training_file: train
    suffix: c
    method:
      type: supervised
      hyperparameters:
        n_epochs: 2
models:
  alpha:
    job: a
    checks:
      - messages:
          - role: user
            content: Who is Chunsik?
        contains: Ryan
  beta:
    job: b
    checks:
      - messages:
          - role: user
            content: Who is Chunsik?
        contains: Ryan
"""
DATASETS = ("extra", "train", "valid")
JOBS = ("jobs.a", "jobs.b", "jobs.c")


def use_big_manifest(project: Project) -> None:
    project.write_manifest(MANIFEST)


def apply_until_converged(project: Project, run: Run, attempts: int = 3) -> Result:
    """Rerun apply as a user would: a killed run's lock is released as the error says."""
    result = run("apply", "--auto-approve", "--wait")
    for _ in range(attempts):
        stale = re.search(r"the holder is gone.*ftops force-unlock (\S+)", result.err, re.DOTALL)
        if result.code == 0 or not stale:
            break
        assert run("force-unlock", stale.group(1)).code == 0
        result = run("apply", "--auto-approve", "--wait")
    return result


def fine_tuned_models(project: Project) -> set[str]:
    return {m for m in project.model_ids() if m.startswith("ft:")}


def assert_account_matches(project: Project, run: Run, jobs: tuple[str, ...] = JOBS) -> None:
    """One upload per dataset, one job per job, the named models promoted, no extra
    fine-tuned model, the state equal to the account, and a final plan with no change."""
    files = project.our_files()
    names = sorted(f.filename.split("--")[1] for f in files)
    assert names == sorted(DATASETS), f"uploads of ours: {names}"
    account_jobs = project.our_jobs()
    assert sorted(j.metadata["ftops_resource"] for j in account_jobs) == sorted(jobs), account_jobs
    state = project.state()["resources"]
    assert {state[f"datasets.{n}"]["file_id"] for n in names} == {f.id for f in files}
    # Per job address, its current job: the one that trained on the current uploads (a retrain
    # leaves the finished old one, whose upload was deleted). created_at is in whole seconds,
    # too coarse to tell a retrain from its predecessor.
    newest: dict[str, Any] = {}
    for job in account_jobs:
        if job.training_file in {f.id for f in files}:
            address = job.metadata["ftops_resource"]
            assert address not in newest, f"two current jobs for {address}: trained twice"
            newest[address] = job
    assert {a: state[a]["job_id"] for a in newest} == {a: j.id for a, j in newest.items()}
    assert all(j.status == "succeeded" for j in account_jobs), [j.status for j in account_jobs]
    assert state["models.alpha"]["model_id"] == newest["jobs.a"].fine_tuned_model
    assert state["models.beta"]["model_id"] == newest["jobs.b"].fine_tuned_model
    # The only fine-tuned models left are those of the declared jobs' latest runs (c's is
    # unnamed but kept: its job is declared); superseded ones were pruned.
    assert fine_tuned_models(project) == {j.fine_tuned_model for j in newest.values()}
    assert not [a for a in state if a.startswith("pending.")], state.keys()
    final = run("plan", "--detailed-exitcode")
    assert final.code == 0 and "No changes" in final.out, final.text


def kill_after_mutation(project: Project, k: int, *args: str, timeout: float = 60) -> int:
    """Run ``ftops ARGS`` as its own process; SIGKILL it the moment its k-th mutating request
    has been handled by the emulator (its answer held back). Returns how many mutating
    requests the emulator saw by then; the process ending first fails the test."""
    hold = project.emulator.hold_mutation(k)
    process = spawn(project, *args)
    try:
        reached = hold.reached.wait(timeout)
        if not reached:
            process.kill()
            out, err = process.communicate(timeout=30)
            raise AssertionError(f"no {k}-th mutating request (exit {process.returncode}): {out}{err}")
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
    finally:
        hold.release()
    return len(project.mutating())
