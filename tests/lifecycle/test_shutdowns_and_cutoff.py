"""Shutdown dates and the provider's job cutoff, through the CLI against the emulator: a near
date warns (text and JSON, plan and status), a past one refuses the plan with its reason."""

from __future__ import annotations

from collections.abc import Callable

import httpx2
import pytest

from .support import FAKE_KEY, OLD_BASE, World, day

Make = Callable[..., World]


def _mutating(world: World) -> list[str]:
    return [f"{r.method} {r.path}" for r in world.emulator.requests() if r.mutating]


def test_a_near_shutdown_warns_in_plan_and_status_text_and_json(world_factory: Make) -> None:
    world = world_factory(model_shutdowns=((OLD_BASE, day(30)),))
    warning = f"jobs.chunsik: base model {OLD_BASE} shuts down on {day(30)} (30 days)"
    plan = world.run("plan")
    assert plan.code == 0, plan.text
    assert f"! {warning}" in plan.out
    as_json = world.run("plan", "--json").json()
    assert warning in as_json["warnings"]
    assert as_json["lifecycle"] == [
        {"address": "models.chunsik", "model_id": None, "base_model": OLD_BASE,
         "shutdown_date": day(30), "days_left": 30, "recording": None}
    ]

    assert world.run("apply", "--auto-approve", "--wait").code == 0
    model_id = world.state()["models.chunsik"]["model_id"]
    # Once trained, the running model is what the warning is about: it dies with its base.
    again = world.run("plan", "--json").json()
    assert again["summary"]["has_changes"] is False
    running = f"models.chunsik: {model_id} (on {OLD_BASE}) shuts down on {day(30)} (30 days)"
    assert running in again["warnings"]
    status = world.run("status", "--json").json()
    assert [(m["name"], m["base_model"], m["shutdown_date"]) for m in status["models"]] == [
        ("chunsik", OLD_BASE, day(30))
    ]
    assert f"models.chunsik -> {model_id}" in world.run("status").out


def test_a_shutdown_beyond_the_window_shows_its_date_without_a_warning(world_factory: Make) -> None:
    world = world_factory(model_shutdowns=((OLD_BASE, day(120)),))
    plan = world.run("plan", "--json").json()
    assert plan["warnings"] == []
    assert plan["lifecycle"][0]["shutdown_date"] == day(120)


def test_the_warning_window_is_configurable(world_factory: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    world = world_factory(model_shutdowns=((OLD_BASE, day(120)),))
    monkeypatch.setenv("FTOPS_SHUTDOWN_WARNING_DAYS", "180")
    warned = world.run("plan", "--json").json()["warnings"]
    assert warned == [f"jobs.chunsik: base model {OLD_BASE} shuts down on {day(120)} (120 days)"]
    monkeypatch.setenv("FTOPS_SHUTDOWN_WARNING_DAYS", "119")
    assert world.run("plan", "--json").json()["warnings"] == []
    monkeypatch.setenv("FTOPS_SHUTDOWN_WARNING_DAYS", "-3")
    bad = world.run("plan")
    assert bad.code == 1 and bad.err.startswith("Error: FTOPS_SHUTDOWN_WARNING_DAYS must be a whole number")


@pytest.mark.parametrize("offset", [-1, 0])
def test_a_base_model_already_shut_down_refuses_the_plan_with_its_reason(
    world_factory: Make, offset: int
) -> None:
    world = world_factory(model_shutdowns=((OLD_BASE, day(offset)),))
    for command in (("plan",), ("apply", "--auto-approve")):
        result = world.run(*command)
        assert result.code == 1, result.text
        lines = result.err.splitlines()
        assert lines[0] == (
            f"Error: jobs.chunsik: base model {OLD_BASE} was shut down on {day(offset)}; "
            "no new job can train on it"
        )
        assert "Change jobs.chunsik.model to a successor base model." in lines[1]
        assert "Traceback" not in result.text
    assert _mutating(world) == []  # refused before anything was uploaded or created
    assert not (world.root / "state" / "ftops.state.json").exists()


def test_continuing_from_a_fine_tuned_model_of_a_shut_down_base_is_refused_at_plan_time(
    world_factory: Make,
) -> None:
    world = world_factory()
    assert world.run("apply", "--auto-approve", "--wait").code == 0
    tuned = world.state()["models.chunsik"]["model_id"]
    answer = httpx2.put(world.emulator.root_url + "/_emulator/shutdown_dates",
                        json={"model": OLD_BASE, "shutdown_date": day(-2)})
    assert answer.status_code == 200
    world.write_manifest(tuned)  # train further from the model it has
    refused = world.run("plan")
    assert refused.code == 1
    assert refused.err.splitlines()[0] == (
        f"Error: jobs.chunsik: base model {tuned} (base {OLD_BASE}) was shut down on {day(-2)}; "
        "no new job can train on it"
    )


def test_a_saved_plan_meeting_a_shutdown_at_apply_time_gets_the_explained_refusal(
    world_factory: Make,
) -> None:
    """The plan was made while the base was alive; by apply time it is shut down: the service's
    400 becomes the one-line explanation, and nothing trains."""
    world = world_factory()
    assert world.run("plan", "--out", "tfplan").code == 0
    answer = httpx2.put(world.emulator.root_url + "/_emulator/shutdown_dates",
                        json={"model": OLD_BASE, "shutdown_date": day(-1)})
    assert answer.status_code == 200
    result = world.run("apply", "tfplan")
    assert result.code == 1
    assert ("create job jobs.chunsik: the base model cannot be fine-tuned (model_not_available): "
            "it is shut down") in result.err
    assert f"The service said: Model {OLD_BASE} is not available for fine-tuning: " in result.err
    assert f"was shut down on {day(-1)}" in result.err
    assert "POST /v1/fine_tuning/jobs" in _mutating(world)
    assert "models.chunsik" not in world.state()


def test_the_job_cutoff_refuses_new_jobs_but_not_a_plan_that_trains_nothing(
    world_factory: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = world_factory()
    monkeypatch.setenv("FTOPS_JOB_CUTOFF", day(20))
    near = world.run("plan", "--json").json()
    assert (f"the provider stops accepting new fine-tuning jobs on {day(20)} (20 days); "
            "a job not created by then cannot be created after") in near["warnings"]

    monkeypatch.setenv("FTOPS_JOB_CUTOFF", day(0))
    refused = world.run("plan")
    assert refused.code == 1
    assert refused.err.splitlines()[0] == (
        f"Error: jobs.chunsik: the provider accepts no new fine-tuning jobs since {day(0)} "
        f"(FTOPS_JOB_CUTOFF={day(0)}), and this plan would create one"
    )
    assert "Undo the change that needs a new job" in refused.err

    monkeypatch.setenv("FTOPS_JOB_CUTOFF", "none")
    assert world.run("apply", "--auto-approve", "--wait").code == 0
    monkeypatch.setenv("FTOPS_JOB_CUTOFF", day(-5))
    unchanged = world.run("plan")  # trained models keep serving after the cutoff
    assert unchanged.code == 0 and "No changes" in unchanged.out

    monkeypatch.setenv("FTOPS_JOB_CUTOFF", "soon")
    bad = world.run("plan")
    assert bad.code == 1 and bad.err.startswith("Error: FTOPS_JOB_CUTOFF must be a date")
    assert FAKE_KEY not in bad.text
