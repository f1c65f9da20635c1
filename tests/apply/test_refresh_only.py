"""``plan --refresh-only`` shows drift and ``apply --refresh-only`` records it, end to end on the
emulator: objects are deleted outside ftops with the SDK, the state then forgets them (after
approval), and the next plan starts from the account as it is."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from e2e.support import Project, Result

Run = Callable[..., Result]


def converge(run: Run) -> None:
    result = run("apply", "--auto-approve", "--wait")
    assert result.code == 0, result.text


def drift_outside_ftops(project: Project) -> tuple[str, str]:
    """Delete model alpha and the upload of datasets.valid with the SDK; return their ids."""
    resources = project.state()["resources"]
    model = resources["models.alpha"]["model_id"]
    file = resources["datasets.valid"]["file_id"]
    project.account().models.delete(model)
    project.account().files.delete(file)
    return model, file


def drifted(result: Result) -> list[str]:
    return [d["address"] for d in json.loads(result.out)["drift"]]


def test_apply_refresh_only_records_the_drift_and_the_next_plan_starts_from_it(
    project: Project, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    converge(run)
    model, file = drift_outside_ftops(project)
    before = project.state()
    project.emulator.clear_requests()

    shown = run("plan", "--refresh-only", "--detailed-exitcode")
    assert shown.code == 2, shown.text
    assert model in shown.out and file in shown.out
    assert "apply with --refresh-only to record it" in shown.out
    assert drifted(run("plan", "--json")) == ["datasets.valid", "models.alpha"]

    monkeypatch.setenv("CI", "1")  # no terminal to ask on, no --auto-approve: refused, nothing written
    refused = run("apply", "--refresh-only")
    assert refused.code == 1 and "apply needs approval" in refused.err
    assert project.state() == before

    recorded = run("apply", "--refresh-only", "--auto-approve")
    assert recorded.code == 0, recorded.text
    assert "Refresh applied" in recorded.out and "2 changes made outside ftops" in recorded.out
    assert project.mutating() == []  # a refresh-only apply never changes the account
    after = project.state()
    assert after["serial"] == before["serial"] + 1 and after["lineage"] == before["lineage"]
    assert "models.alpha" not in after["resources"] and "datasets.valid" not in after["resources"]
    assert after["resources"]["jobs.a"] == before["resources"]["jobs.a"]  # jobs are never forgotten
    assert after["resources"]["models.beta"] == before["resources"]["models.beta"]

    assert run("plan", "--refresh-only", "--detailed-exitcode").code == 0
    again = run("apply", "--refresh-only", "--auto-approve")
    assert again.code == 0 and "nothing written" in again.out
    assert project.state()["serial"] == after["serial"]

    # The next plan starts from the recorded account: no drift, the dataset is simply new again.
    plan = json.loads(run("plan", "--json").out)
    assert plan["drift"] == []
    valid = next(c for c in plan["changes"] if c["address"] == "datasets.valid")
    assert valid["action"] == "create" and valid["reason"].startswith("new dataset")


def test_a_saved_refresh_only_plan_is_recorded_only_while_the_drift_is_the_same(
    project: Project, run: Run
) -> None:
    converge(run)
    drift_outside_ftops(project)
    saved = run("plan", "--refresh-only", "--out", "drift.plan")
    assert saved.code == 0, saved.text
    applied = run("apply", "drift.plan")  # a saved plan is applied as it is, without asking
    assert applied.code == 0, applied.text
    assert "models.alpha" not in project.state()["resources"]

    beta = project.state()["resources"]["models.beta"]["model_id"]
    assert run("plan", "--refresh-only", "--out", "later.plan").code == 0  # no drift now
    project.account().models.delete(beta)  # ... and then some
    serial = project.state()["serial"]
    stale = run("apply", "later.plan")
    assert stale.code == 1
    assert "the account changed since this refresh-only plan was made" in stale.err
    assert project.state()["serial"] == serial
    assert "models.beta" in project.state()["resources"]


def test_refresh_only_does_not_take_wait_target_or_replace(project: Project, run: Run) -> None:
    for extra in (["--wait"], ["--target", "jobs.a"], ["--replace", "jobs.a"]):
        result = run("apply", "--refresh-only", "--auto-approve", *extra)
        assert result.code == 1 and "--refresh-only records the whole account" in result.err
    assert not project.state_path.exists()
