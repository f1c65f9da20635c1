"""Never twice on Together (issue 15, item 3): ``ftops apply`` SIGKILLed right after each of its
mutating requests reached the emulator (the answer held back until the kill), and answers lost
on upload and on job creation; then apply again. Every time the account ends with exactly one
upload per dataset and one job per declared job, read from the emulator through the SDK."""

from __future__ import annotations

import json
import os
import re
import signal
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from e2e.support import Project, spawn
from gitops.support import Result, run_ftops
from together import Together

from ftops.emulator import RunningEmulator

from .conftest import KEY, LLAMA_8B, QWEN_7B, chat_lines, write_jsonl

MANIFEST = """\
project: tg
provider:
  type: together
  base_url: {base_url}
backend:
  type: local
  path: state/ftops.state.json
datasets:
  train:
    file: ../datasets/train.jsonl
  valid:
    file: ../datasets/valid.jsonl
jobs:
  a:
    model: {llama}
    training_file: train
    validation_file: valid
    suffix: a
    method:
      type: supervised
      hyperparameters:
        n_epochs: 1
  b:
    model: {qwen}
    training_file: train
    suffix: b
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
"""
SEQUENTIAL_APPLY = ("apply", "--auto-approve", "--wait", "--parallelism", "1")
# Each upload is three requests (register, PUT the bytes, preprocess); each job create two (the
# SDK's price estimate, then the create); the check one chat: counted by the calibration test.
UPLOAD_REQUESTS, CREATE_REQUESTS = 3, 2
FULL_APPLY_MUTATIONS = 2 * UPLOAD_REQUESTS + 2 * CREATE_REQUESTS + 1

Run = Callable[..., Result]


@pytest.fixture
def project(tmp_path: Path, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("TOGETHER_API_KEY", KEY)  # for the spawned runs too
    monkeypatch.setenv("NO_COLOR", "1")
    root = tmp_path / "project"
    (root / "manifests").mkdir(parents=True)
    (root / "state").mkdir()
    (root / "manifests" / "project.yaml").write_text(textwrap.dedent(MANIFEST).format(
        base_url=emulator.together_base_url, llama=LLAMA_8B, qwen=QWEN_7B))
    write_jsonl(root / "datasets" / "train.jsonl", chat_lines("training"))
    write_jsonl(root / "datasets" / "valid.jsonl", chat_lines("validation", 10))
    return Project(root, emulator)


@pytest.fixture
def run(project: Project, monkeypatch: pytest.MonkeyPatch) -> Run:
    def invoke(*args: str) -> Result:
        return run_ftops(project.root, *args, monkeypatch=monkeypatch)

    return invoke


def apply_until_converged(run: Run) -> Result:
    """Apply again as a user would: a killed run's lock is released as the error says."""
    result = run("apply", "--auto-approve", "--wait")
    for _ in range(3):
        stale = re.search(r"the holder is gone.*ftops force-unlock (\S+)", result.err, re.DOTALL)
        if result.code == 0 or not stale:
            break
        assert run("force-unlock", stale.group(1)).code == 0
        result = run("apply", "--auto-approve", "--wait")
    return result


def assert_exactly_once(project: Project, run: Run) -> None:
    """One upload per dataset, one job per declared job (all completed), the state naming them,
    the model promoted, and a plan with no change."""
    account = Together(base_url=project.emulator.together_base_url, api_key="k", max_retries=10)
    files = [f for f in account.files.list().data if f.filename.startswith("ftops-tg--")]
    assert sorted(f.filename.split("--")[1] for f in files) == ["train", "valid"], files
    jobs = [j for j in account.fine_tuning.list().data if "ftops-" in str(j.suffix)]
    assert sorted(str(j.suffix).split("-ftops-")[0] for j in jobs) == ["a", "b"], jobs
    assert all(j.status == "completed" for j in jobs), [j.status for j in jobs]
    state: dict[str, Any] = json.loads(project.state_path.read_text())["resources"]
    assert {state["datasets.train"]["file_id"], state["datasets.valid"]["file_id"]} == {f.id for f in files}
    assert {state["jobs.a"]["job_id"], state["jobs.b"]["job_id"]} == {j.id for j in jobs}
    assert state["models.alpha"]["model_id"] == state["jobs.a"]["fine_tuned_model"]
    assert not [a for a in state if a.startswith("pending.")]
    final = run("plan", "--detailed-exitcode")
    assert final.code == 0 and "No changes" in final.out, final.out + final.err


def kill_after_mutation(project: Project, k: int) -> int:
    """``ftops apply`` as its own process, SIGKILLed the moment its k-th mutating request has been
    handled by the emulator (its answer held back); how many mutating requests it made by then."""
    hold = project.emulator.hold_mutation(k)
    process = spawn(project, *SEQUENTIAL_APPLY)
    try:
        if not hold.reached.wait(60):
            process.kill()
            out, err = process.communicate(timeout=30)
            raise AssertionError(f"no {k}-th mutating request (exit {process.returncode}): {out}{err}")
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
    finally:
        hold.release()
    return len(project.mutating())


def test_calibration_a_clean_apply_makes_the_counted_mutating_requests(project: Project, run: Run) -> None:
    result = run(*SEQUENTIAL_APPLY)
    assert result.code == 0, result.out + result.err
    assert len(project.mutating()) == FULL_APPLY_MUTATIONS, project.mutating()
    assert_exactly_once(project, run)


@pytest.mark.parametrize("k", range(1, FULL_APPLY_MUTATIONS + 1))
def test_apply_killed_after_its_kth_mutating_request_converges_exactly_once(
    k: int, project: Project, run: Run
) -> None:
    assert kill_after_mutation(project, k) == k, project.mutating()
    result = apply_until_converged(run)
    assert result.code == 0, result.out + result.err
    assert_exactly_once(project, run)


@pytest.mark.parametrize("fault", [
    "[POST /together/v1/files/*/preprocess] seq:drop-after",  # the upload made, its answer lost
    "[PUT /together/storage/*] seq:drop-after",  # the bytes stored, the PUT's answer lost
    "[POST /together/v1/fine-tunes] seq:drop-after",  # the job made, its answer lost
    "[POST /together/v1/fine-tunes] seq:500",  # the service failed: nothing made
    "[POST /together/v1/fine-tunes] seq:drop",  # the connection dropped before it was read
])
def test_a_lost_answer_is_found_and_adopted_never_made_twice(
    fault: str, project: Project, run: Run
) -> None:
    project.emulator.set_faults(fault)
    result = apply_until_converged(run)
    assert result.code == 0, result.out + result.err
    assert any(r.fault for r in project.emulator.requests()), "the fault never fired"
    assert_exactly_once(project, run)
