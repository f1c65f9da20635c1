"""``apply --wait`` releases the state lock while its jobs train, end to end on the emulator:
other runs can plan (and apply) meanwhile; the waiting apply takes the lock back, re-reads the
state and promotes only what is still exactly as approved."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest
from e2e.support import Project, Result, spawn

Run = Callable[..., Result]
SLOW = {"speed": 30.0}  # a job trains for several seconds: long enough to act while apply waits


def plan_while_waiting(project: Project, run: Run, process: subprocess.Popen[str]) -> Result:
    """Plan (lock timeout 0) until it gets the lock while ``process`` (apply --wait) still runs:
    the apply has recorded its jobs and released the lock to wait for them."""
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
        if not project.state_path.exists():
            continue
        if not any(a.startswith("jobs.") for a in project.state()["resources"]):
            continue
        result = run("plan")
        if result.code == 0:
            assert process.poll() is None, "the apply ended before the plan ran: nothing shown"
            return result
        assert "is locked" in result.err, result.text  # the apply still uploads or creates
    pytest.fail("no plan got the lock while apply --wait waited for its jobs")


def start_waiting_apply(project: Project, run: Run) -> subprocess.Popen[str]:
    """``apply --wait`` in another process, returned once it waits with the lock released."""
    process = spawn(project, "apply", "--auto-approve", "--wait")
    plan_while_waiting(project, run, process)
    return process


def assert_promoted(project: Project, *names: tuple[str, str]) -> dict[str, Any]:
    """Each (model name, job name) points at that job's fine-tuned model; returns the state."""
    resources: dict[str, Any] = project.state()["resources"]
    for model, job in names:
        assert resources[f"models.{model}"]["model_id"] == resources[f"jobs.{job}"]["fine_tuned_model"]
    return resources


@pytest.mark.parametrize("project", [SLOW], indirect=True)
def test_other_runs_can_plan_while_apply_waits_and_the_apply_still_promotes(
    project: Project, run: Run
) -> None:
    process = spawn(project, "apply", "--auto-approve", "--wait")
    meanwhile = plan_while_waiting(project, run, process)
    assert "in progress" in meanwhile.out  # the plan saw the jobs training
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, out + err
    assert "Waiting for 2 job(s); the state is unlocked meanwhile." in out
    resources = assert_promoted(project, ("alpha", "a"), ("beta", "b"))
    assert resources["jobs.a"]["status"] == "succeeded"  # the ends were recorded after the wait
    assert not any(a.startswith("pending.") for a in resources)
    assert not (project.state_path.parent / (project.state_path.name + ".lock")).exists()
    assert run("plan", "--detailed-exitcode").code == 0


@pytest.mark.parametrize("project", [SLOW], indirect=True)
def test_a_job_replaced_by_another_run_meanwhile_is_not_promoted_by_the_waiting_apply(
    project: Project, run: Run
) -> None:
    process = start_waiting_apply(project, run)
    awaited = project.state()["resources"]["jobs.a"]["job_id"]
    replaced = run("apply", "--auto-approve", "--replace", "jobs.a")  # cancels the awaited job
    assert replaced.code == 0, replaced.text
    out, err = process.communicate(timeout=180)
    assert process.returncode == 1, out + err
    assert "another run changed the state while this one waited for its jobs: jobs.a" in err
    resources = project.state()["resources"]
    assert resources["jobs.a"]["job_id"] != awaited
    assert "models.alpha" not in resources  # not promoted from a job its name no longer holds
    # Nothing was lost or duplicated: the next apply --wait converges on the replacement job.
    converged = run("apply", "--auto-approve", "--wait")
    assert converged.code == 0, converged.text
    assert_promoted(project, ("alpha", "a"))
    assert len(project.our_jobs()) == 3 and len(project.our_files()) == 3
    assert run("plan", "--detailed-exitcode").code == 0


@pytest.mark.parametrize("project", [SLOW], indirect=True)
def test_a_state_written_meanwhile_but_still_as_approved_lets_the_waiting_apply_promote(
    project: Project, run: Run
) -> None:
    process = start_waiting_apply(project, run)
    serial = project.state()["serial"]
    # Another run writes the state meanwhile, about something the promotions do not read.
    assert run("state", "rm", "datasets.extra").code == 0
    assert project.state()["serial"] > serial
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, out + err
    assert "models.alpha: now " in out and "models.beta: now " in out  # promoted after a fresh plan
    resources = assert_promoted(project, ("alpha", "a"), ("beta", "b"))
    # The fresh plan also adopts datasets.extra again; that was never approved, so not done here.
    assert "datasets.extra" not in resources
    plan = run("plan", "--detailed-exitcode")
    assert plan.code == 2 and "datasets.extra" in plan.out
    assert run("apply", "--auto-approve").code == 0
    assert run("plan", "--detailed-exitcode").code == 0


@pytest.mark.parametrize("project", [{"speed": 1.0}], indirect=True)  # jobs take minutes
def test_a_wait_timeout_fails_the_promotions_and_leaves_the_state_unlocked_and_whole(
    project: Project, run: Run
) -> None:
    result = run("apply", "--auto-approve", "--wait", "--wait-timeout", "1s")
    assert result.code == 1
    assert "still" in result.err and "after 1s of waiting" in result.err
    assert "2 failed" in result.out  # both promotions, reported with the timeout
    resources = project.state()["resources"]
    assert {"jobs.a", "jobs.b", "datasets.train"} <= set(resources) and "models.alpha" not in resources
    assert not any(a.startswith("pending.") for a in resources)
    assert run("plan").code == 0  # the lock is free; the jobs keep running and are shown


@pytest.mark.parametrize("project", [SLOW], indirect=True)
def test_ftops_wait_also_leaves_the_lock_free_and_records_how_the_jobs_ended(
    project: Project, run: Run
) -> None:
    assert run("apply", "--auto-approve").code == 0  # jobs started, not waited for
    process = spawn(project, "wait")
    assert process.stdout is not None
    first = process.stdout.readline()  # printed just before the lock is released
    assert first.startswith("Waiting for 2 job(s); the state is unlocked meanwhile."), first
    meanwhile = run("plan", "--lock-timeout", "5s")
    assert meanwhile.code == 0 and process.poll() is None, meanwhile.text
    assert "in progress" in meanwhile.out
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, out + err
    resources = project.state()["resources"]
    assert resources["jobs.a"]["status"] == resources["jobs.b"]["status"] == "succeeded"
    assert run("wait", "models.alpha").code == 1  # an address that is not a job: one clear line
