"""Declared serving on Together (``models.<name>.deployment: {hardware, replicas}``) through the
CLI against a served emulator over real HTTP: apply trains, creates the dedicated endpoint, checks
through it, promotes; a second plan has no change; an endpoint deleted by hand is drift that apply
recreates; destroy leaves no endpoint; a SIGKILL right after the endpoint's create converges to
one endpoint."""

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

from .conftest import KEY, LLAMA_8B, chat_lines, write_jsonl

PROJECT_ID = "proj-kakao"
MANIFEST = """\
project: tg-serving
provider:
  type: together
  base_url: {base_url}
  project: {project_id}
backend:
  type: local
  path: state/ftops.state.json
datasets:
  train:
    file: ../datasets/train.jsonl
jobs:
  a:
    model: {llama}
    training_file: train
    suffix: a
models:
  alpha:
    job: a
    deployment: {{hardware: 1x_nvidia_h100_80gb_sxm, replicas: 2}}
    checks:
      - messages:
          - role: user
            content: Who is Chunsik?
        contains: Ryan
budget:
  max_usd: 50
  monthly_hosting: {ceiling}
"""
Run = Callable[..., Result]


def write_project(root: Path, emulator: RunningEmulator, ceiling: float = 10000) -> None:
    (root / "manifests").mkdir(parents=True, exist_ok=True)
    (root / "state").mkdir(exist_ok=True)
    (root / "manifests" / "project.yaml").write_text(textwrap.dedent(MANIFEST).format(
        base_url=emulator.together_base_url, project_id=PROJECT_ID, llama=LLAMA_8B, ceiling=ceiling))
    write_jsonl(root / "datasets" / "train.jsonl", chat_lines("training"))


@pytest.fixture
def project(tmp_path: Path, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("TOGETHER_API_KEY", KEY)  # for the spawned runs too
    monkeypatch.setenv("NO_COLOR", "1")
    root = tmp_path / "project"
    write_project(root, emulator)
    return Project(root, emulator)


@pytest.fixture
def run(project: Project, monkeypatch: pytest.MonkeyPatch) -> Run:
    def invoke(*args: str) -> Result:
        return run_ftops(project.root, *args, monkeypatch=monkeypatch)

    return invoke


def endpoints(emulator: RunningEmulator) -> list[Any]:
    account = Together(base_url=emulator.together_base_url, api_key="k", project_id=PROJECT_ID)
    return list(account.endpoints.list())


def state(project: Project) -> dict[str, Any]:
    resources: dict[str, Any] = json.loads(project.state_path.read_text())["resources"]
    return resources


def test_apply_serves_checks_through_the_endpoint_converges_drifts_and_destroys(
    project: Project, run: Run
) -> None:
    planned = run("plan")
    assert planned.code == 0, planned.out + planned.err
    # 1x H100 at $3.36 per replica-hour (the packaged table), 2 replicas, 730 hours a month
    assert re.search(r"create\s+models\.alpha\s+proj-kakao/alpha-…\s+1x_nvidia_h100_80gb_sxm x2\s+\$6\.72/h"
                     r"\s+\$4,905\.60/month", planned.out), planned.out

    project.emulator.clear_requests()
    applied = run("apply", "--auto-approve", "--wait")
    assert applied.code == 0, applied.out + applied.err
    model_id = str(state(project)["models.alpha"]["model_id"])
    [endpoint] = endpoints(project.emulator)
    assert endpoint.name.startswith(f"{PROJECT_ID}/alpha-")
    [served] = endpoint.deployments
    assert served.api_model_id == model_id and served.autoscaling.min_replicas == 2
    # The check's chat came after the endpoint's deployment was created, and went through it.
    log = [(r.method, r.path) for r in project.emulator.requests()]
    created = log.index(("POST", f"/together/v2/projects/{PROJECT_ID}/endpoints/{endpoint.id}/deployments"))
    assert log.index(("POST", "/together/v1/chat/completions")) > created
    assert f"deployed {model_id} as {endpoint.name}, for its checks" in applied.out
    output = run("output", "alpha.deployment")
    assert output.code == 0 and output.out.strip() == endpoint.name, output.out + output.err
    status = run("status")
    assert status.code == 0 and endpoint.name in status.out, status.out

    # An endpoint someone made by hand is not ftops's: never planned, never deleted.
    account = Together(base_url=project.emulator.together_base_url, api_key="k", project_id=PROJECT_ID)
    foreign = account.endpoints.create(name="by-hand")
    account.endpoints.deployments.create(
        foreign.id,
        name="live",
        model=f"projects/{PROJECT_ID}/models/{LLAMA_8B}",
        config=f"projects/{PROJECT_ID}/configs/1x_nvidia_l40s_48gb",
        autoscaling={"min_replicas": 1, "max_replicas": 1},
    )
    again = run("plan", "--detailed-exitcode")
    assert again.code == 0 and "No changes." in again.out, again.out + again.err

    # Deleted by hand: drift, recreated under the same name.
    account.endpoints.deployments.delete(served.id, endpoint_id=endpoint.id)
    account.endpoints.delete(endpoint.id)
    drift = run("plan", "--detailed-exitcode")
    assert drift.code == 2 and endpoint.name in drift.out, drift.out + drift.err
    assert run("apply", "--auto-approve", "--wait").code == 0
    assert sorted(e.name for e in endpoints(project.emulator)) == sorted([endpoint.name, foreign.name])

    gone = run("destroy", "--auto-approve")
    assert gone.code == 0, gone.out + gone.err
    assert [e.name for e in endpoints(project.emulator)] == [foreign.name]


def test_the_hosting_budget_refuses_a_plan_over_it(project: Project, run: Run, tmp_path: Path) -> None:
    write_project(project.root, project.emulator, ceiling=1000)
    refused = run("plan")
    assert refused.code == 1 and "monthly_hosting" in refused.err, refused.out + refused.err
    assert endpoints(project.emulator) == []


def test_azure_words_on_a_together_deployment_are_refused_at_their_line(project: Project, run: Run) -> None:
    manifest = project.root / "manifests" / "project.yaml"
    manifest.write_text(manifest.read_text().replace(
        "deployment: {hardware: 1x_nvidia_h100_80gb_sxm, replicas: 2}", "deployment: {sku: Standard}"))
    refused = run("validate")
    assert refused.code == 1
    assert "manifests/project.yaml:" in refused.err + refused.out
    assert "'sku' is Azure's" in refused.err + refused.out
    assert "needs 'hardware'" in refused.err + refused.out


@pytest.mark.parametrize("held", ["endpoints", "endpoints/*/deployments"])
def test_killed_right_after_the_endpoint_create_converges_to_one_endpoint(
    project: Project, run: Run, held: str
) -> None:
    trained = run("apply", "--auto-approve", "--wait")
    assert trained.code == 0, trained.out + trained.err
    [first] = endpoints(project.emulator)
    # A retrain: a new model, so a new endpoint (blue/green); SIGKILL right after its create.
    manifest = project.root / "manifests" / "project.yaml"
    retrained = manifest.read_text().replace("suffix: a", "suffix: a\n    hyperparameters: {n_epochs: 2}")
    manifest.write_text(retrained)
    hold = project.emulator.hold_mutation(1, f"/together/v2/projects/{PROJECT_ID}/{held}")
    process = spawn(project, "apply", "--auto-approve", "--wait")
    try:
        assert hold.reached.wait(60), process.communicate(timeout=30)
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
    finally:
        hold.release()
    assert len(endpoints(project.emulator)) == 2  # the old one and the new one, made before the kill
    result = run("apply", "--auto-approve", "--wait")
    for _ in range(3):
        stale = re.search(r"ftops force-unlock (\S+)", result.err)
        if result.code == 0 or not stale:
            break
        assert run("force-unlock", stale.group(1)).code == 0
        result = run("apply", "--auto-approve", "--wait")
    assert result.code == 0, result.out + result.err
    names = [e.name for e in endpoints(project.emulator)]
    assert len(names) == 1 and names != [first.name], names
    [served] = endpoints(project.emulator)[0].deployments
    assert served.api_model_id == state(project)["models.alpha"]["model_id"]
    final = run("plan", "--detailed-exitcode")
    assert final.code == 0 and "No changes." in final.out, final.out + final.err
