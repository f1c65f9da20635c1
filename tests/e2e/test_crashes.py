"""Crashes, lost responses, stale plans and concurrent runs: never a duplicate, never a corrupt state.

The SIGKILL test runs ``ftops apply`` as a separate process and kills it right after
its k-th mutating request has been answered, for every k. Every mutating request is
slowed a little by the emulator, so the kill lands before the next one is handled
(or, at worst, while it is handled: a crash just after sending, also worth testing).
"""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Callable

import pytest

from .support import Project, Result, chat_examples, spawn

Run = Callable[..., Result]

SLOW_MUTATIONS = "[POST /v1/*] latency:0.15s; [DELETE /v1/*] latency:0.15s"
# Mutating requests of a full apply of the test project: 3 uploads, 2 jobs, 1 check (chat).
FULL_APPLY_MUTATIONS = 6


def assert_converged(project: Project, run: Run) -> None:
    """Exactly one upload per dataset, one job per job, the state matching the account."""
    result = run("apply", "--auto-approve", "--wait")
    stale = re.search(r"the holder is gone.*ftops force-unlock (\S+)", result.err, re.DOTALL)
    if stale:  # a killed run leaves its lock; the error says how to release it
        assert run("force-unlock", stale.group(1)).code == 0
        result = run("apply", "--auto-approve", "--wait")
    assert result.code == 0, result.text  # one run finishes what the killed one started
    files = project.our_files()
    names = sorted(f.filename.split("--")[1] for f in files)
    assert names == ["extra", "train", "valid"], names
    jobs = project.our_jobs()
    assert sorted(j.metadata["ftops_resource"] for j in jobs) == ["jobs.a", "jobs.b"]
    state = project.state()["resources"]
    assert {state[f"datasets.{n}"]["file_id"] for n in names} == {f.id for f in files}
    assert {state["jobs.a"]["job_id"], state["jobs.b"]["job_id"]} == {j.id for j in jobs}
    assert not [a for a in state if a.startswith("pending.")]
    final = run("plan", "--detailed-exitcode")
    assert final.code == 0, final.text


@pytest.mark.parametrize("project", [SLOW_MUTATIONS], indirect=True)
@pytest.mark.parametrize("k", range(1, FULL_APPLY_MUTATIONS + 1))
def test_killed_after_each_mutating_request_then_rerun_converges(k: int, project: Project, run: Run) -> None:
    process = spawn(project, "apply", "--auto-approve", "--wait")
    deadline = time.monotonic() + 60
    while len(project.mutating()) < k and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert len(project.mutating()) >= k, "the apply ended before its k-th mutating request"
    assert_converged(project, run)


@pytest.mark.parametrize(
    ("project", "adopts"),
    [
        ("[POST /v1/files] seq:drop-after", True),
        ("[POST /v1/fine_tuning/jobs] seq:drop-after", True),
        ("[POST /v1/fine_tuning/jobs] seq:500", False),
        ("[POST /v1/files] seq:ok,drop-after; [POST /v1/fine_tuning/jobs] seq:ok,drop-after", True),
    ],
    ids=["upload-lost", "job-lost", "job-500", "second-of-each-lost"],
    indirect=["project"],
)
def test_a_response_lost_after_a_create_does_not_duplicate_it(
    adopts: bool, project: Project, run: Run
) -> None:
    first = run("apply", "--auto-approve", "--wait")
    assert first.code == 0, first.text
    assert ("found it in the account, adopting it" in first.out) is adopts, first.out
    assert_converged(project, run)


def test_a_stale_plan_file_is_refused(project: Project, run: Run) -> None:
    saved = run("plan", "--out", "saved.plan")
    assert saved.code == 0, saved.text
    assert run("apply", "--auto-approve").code == 0
    project.emulator.clear_requests()
    stale = run("apply", "saved.plan")
    assert stale.code == 1
    assert "stale" in stale.err.lower()
    assert project.mutating() == []


def test_a_saved_plan_is_applied_exactly(project: Project, run: Run) -> None:
    assert run("plan", "--out", "saved.plan").code == 0
    project.write_dataset("extra", chat_examples("changed after planning"))
    changed = run("apply", "saved.plan")
    assert changed.code == 1 and "stale" in changed.err.lower()
    project.write_dataset("extra", chat_examples("extras"))
    applied = run("apply", "saved.plan")
    assert applied.code == 0, applied.text
    assert len(project.our_jobs()) == 2


def test_two_concurrent_applies_one_waits_or_fails_and_the_state_is_sound(project: Project, run: Run) -> None:
    processes = [spawn(project, "apply", "--auto-approve", "--wait") for _ in range(2)]
    results = [p.communicate(timeout=120) for p in processes]
    codes = sorted(p.returncode for p in processes)
    assert codes in ([0, 0], [0, 1]), results
    for process, (_out, err) in zip(processes, results, strict=True):
        if process.returncode == 1:
            assert "locked" in err.lower(), err
        assert "Traceback" not in err
    json.loads(project.state_path.read_text())  # never half-written
    assert_converged(project, run)


# A retrain: upload the edited dataset, delete the old upload, create the job, check the new
# model, delete the model it supersedes.
RETRAIN_MUTATIONS = 5


@pytest.mark.parametrize("project", [SLOW_MUTATIONS], indirect=True)
@pytest.mark.parametrize("k", range(1, RETRAIN_MUTATIONS + 1))
def test_a_retrain_killed_after_each_mutating_request_then_rerun_converges(
    k: int, project: Project, run: Run
) -> None:
    first = run("apply", "--auto-approve", "--wait")
    assert first.code == 0, first.text
    old_model = project.state()["resources"]["models.alpha"]["model_id"]
    project.write_dataset("train", chat_examples("retrained"))
    project.emulator.clear_requests()
    process = spawn(project, "apply", "--auto-approve", "--wait")
    deadline = time.monotonic() + 60
    while len(project.mutating()) < k and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert len(project.mutating()) >= k, "the apply ended before its k-th mutating request"

    result = run("apply", "--auto-approve", "--wait")
    stale = re.search(r"the holder is gone.*ftops force-unlock (\S+)", result.err, re.DOTALL)
    if stale:
        assert run("force-unlock", stale.group(1)).code == 0
        result = run("apply", "--auto-approve", "--wait")
    assert result.code == 0, result.text
    jobs = project.our_jobs()
    assert sorted(j.metadata["ftops_resource"] for j in jobs) == ["jobs.a", "jobs.a", "jobs.b"]
    assert len(project.our_files()) == 3
    state = project.state()["resources"]
    newest_a = max((j for j in jobs if j.metadata["ftops_resource"] == "jobs.a"), key=lambda j: j.created_at)
    assert state["jobs.a"]["job_id"] == newest_a.id
    assert state["models.alpha"]["model_id"] == newest_a.fine_tuned_model
    assert old_model not in project.model_ids()  # pruned, and only after the promotion
    assert not [a for a in state if a.startswith("pending.")]
    assert run("plan", "--detailed-exitcode").code == 0
