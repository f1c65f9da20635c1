"""Crash at every mutating request of an Azure apply that deploys (deployment PUTs and DELETEs
included): ``ftops apply --auto-approve --wait`` as its own process, SIGKILLed the moment its k-th
mutating request reached the emulator (whose answer is held back until then), then applied again
until it converges: one deployment per name, serving the name's model, recorded in the state, and
a plan with no change."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest

from ftops.emulator import RunningEmulator
from ftops.provider.deployments import deployment_name

from .conftest import Ftops
from .test_deployments import ARM, ENV, arm_deployments, deployed, retrain, state

APPLY = ("apply", "--auto-approve", "--wait", "--parallelism", "1")
# 2 uploads, 1 job create, 1 deployment PUT, 1 check (a chat POST): the calibration test counts them.
FIRST_APPLY = [
    "POST /v1/files",
    "POST /v1/files",
    "POST /v1/fine_tuning/jobs",
    "PUT deployment",
    "POST /v1/chat/completions",
]
# A retrain: 1 job create, the new deployment's PUT, its check, the old deployment's DELETE, then
# the old model's.
RETRAIN = [
    "POST /v1/fine_tuning/jobs",
    "PUT deployment",
    "POST /v1/chat/completions",
    "DELETE deployment",
    "DELETE /v1/models",
]


def mutations(emulator: RunningEmulator) -> list[str]:
    out = []
    for r in emulator.requests():
        if r.mutating:
            if r.path.startswith(ARM):
                out.append(f"{r.method} deployment")
            else:
                out.append(f"{r.method} {r.path if not r.path.startswith('/v1/models/') else '/v1/models'}")
    return out


def environment() -> dict[str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "AZURE_OPENAI_")) and k not in ("CI", "FORCE_COLOR")
    }
    return {**base, "NO_COLOR": "1", **ENV}


def kill_after(project: Path, emulator: RunningEmulator, k: int) -> None:
    hold = emulator.hold_mutation(k)
    process = subprocess.Popen(
        [sys.executable, "-m", "ftops", *APPLY],
        cwd=project,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        if not hold.reached.wait(90):
            process.kill()
            out, err = process.communicate(timeout=30)
            raise AssertionError(f"no {k}-th mutating request (exit {process.returncode}): {out}{err}")
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
    finally:
        hold.release()


def apply_until_converged(ftops: Ftops) -> None:
    result = ftops("apply", "--auto-approve", "--wait", env=ENV)
    for _ in range(3):
        stale = re.search(r"the holder is gone.*ftops force-unlock (\S+)", result.err, re.DOTALL)
        if result.code == 0 or not stale:
            break
        assert ftops("force-unlock", stale.group(1), env=ENV).code == 0
        result = ftops("apply", "--auto-approve", "--wait", env=ENV)
    assert result.code == 0, result.out + result.err


def assert_one_deployment_per_name(project: Path, emulator: RunningEmulator, ftops: Ftops) -> None:
    record = state(project)["models.chunsik"]
    model_id = str(record["model_id"])
    name = deployment_name("chunsik", model_id)
    listed = arm_deployments(emulator)
    assert [(d["name"], d["properties"]["model"]["name"]) for d in listed] == [(name, model_id)]  # type: ignore[index]
    assert record["deployment"]["name"] == name  # type: ignore[index]
    assert not [a for a in state(project) if a.startswith("pending.")]
    models = httpx2.get(f"{emulator.root_url}/v1/models", headers={"Authorization": "Bearer k"}).json()[
        "data"
    ]
    assert [m["id"] for m in models if m["id"].startswith("ft:")] == [model_id]  # the old one pruned
    final = ftops("plan", "--detailed-exitcode", env=ENV)
    assert final.code == 0 and "No changes." in final.out, final.out + final.err


@pytest.fixture
def azure_project(project: Path, emulator: RunningEmulator) -> Path:
    deployed(project, emulator)
    return project


def test_calibration_the_counted_mutating_requests(
    azure_project: Path, emulator: RunningEmulator, ftops: Ftops
) -> None:
    assert ftops(*APPLY, env=ENV).code == 0
    assert mutations(emulator) == FIRST_APPLY
    retrain(azure_project)
    emulator.clear_requests()
    assert ftops(*APPLY, env=ENV).code == 0
    assert mutations(emulator) == RETRAIN
    assert_one_deployment_per_name(azure_project, emulator, ftops)


@pytest.mark.parametrize("k", range(1, len(FIRST_APPLY) + 1))
def test_first_apply_killed_after_its_kth_mutating_request_converges(
    k: int, azure_project: Path, emulator: RunningEmulator, ftops: Ftops
) -> None:
    kill_after(azure_project, emulator, k)
    apply_until_converged(ftops)
    assert_one_deployment_per_name(azure_project, emulator, ftops)


@pytest.mark.parametrize("k", range(1, len(RETRAIN) + 1))
def test_retrain_killed_after_its_kth_mutating_request_converges(
    k: int, azure_project: Path, emulator: RunningEmulator, ftops: Ftops
) -> None:
    assert ftops(*APPLY, env=ENV).code == 0
    retrain(azure_project)
    emulator.clear_requests()
    kill_after(azure_project, emulator, k)
    apply_until_converged(ftops)
    assert_one_deployment_per_name(azure_project, emulator, ftops)
    assert state(azure_project)["models.chunsik"]["previous"] == []  # keep_previous: 0
