"""Planner tables: destroy, budget, --target, --replace validation, --refresh-only, shutdown
dates, deterministic order and the inputs digest."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from plan_builders import BASE, World, actions, change, desired, job, model, project

from ftops.errors import BudgetExceededError, PlanError, UsageError
from ftops.plan.model import Action, CancelJob, DeleteFile, DeleteModel
from ftops.plan.observed import ObservedModel
from ftops.plan.options import PlanOptions
from ftops.plan.order import execution_order
from ftops.plan.planner import make_plan


def test_destroy_deletes_everything_but_protected_models_which_it_reports() -> None:
    proj = project(
        jobs=[job("tune"), job("side")],
        models=[model("bot", "tune", protect=True), model("aux", "side")],
    )
    world = World(desired(proj)).converge()
    kept = world.model_record("bot").model_id  # type: ignore[union-attr]
    aux = world.model_record("aux").model_id  # type: ignore[union-attr]
    plan = world.plan(destroy=True)
    assert actions(plan) == [
        ("datasets.train", "delete"),
        ("jobs.side", "delete"),
        ("jobs.tune", "delete"),
        ("models.aux", "delete"),
    ]
    deleted = [s.model_id for c in plan.changes for s in c.steps if isinstance(s, DeleteModel)]
    assert deleted == [aux]
    assert any(f"models.bot is protected: kept {kept}" in w for w in plan.warnings)


def test_destroy_keeps_a_model_protected_in_the_manifests_before_that_was_applied() -> None:
    # The state still says protect: false; the manifests already say true. Destroy must keep it.
    world = World(desired(project(models=[model("bot", "tune")]))).converge()
    kept = world.model_record("bot").model_id  # type: ignore[union-attr]
    assert world.model_record("bot").protect is False  # type: ignore[union-attr]
    plan = world.plan(desired(project(models=[model("bot", "tune", protect=True)])), destroy=True)
    deleted = [s.model_id for c in plan.changes for s in c.steps if isinstance(s, DeleteModel)]
    assert kept not in deleted
    assert "models.bot" not in [c.address for c in plan.actionable]
    assert any(f"models.bot is protected: kept {kept}" in w for w in plan.warnings)


def test_destroy_cancels_running_jobs_before_deleting_the_files_they_read() -> None:
    world = World(desired())
    file_id = world.upload("train")
    job_id = world.train("tune", status="running")
    plan = world.plan(destroy=True)
    assert change(plan, "jobs.tune").steps[0] == CancelJob("jobs.tune", job_id)
    assert change(plan, "datasets.train").steps[0] == DeleteFile("datasets.train", file_id)
    assert change(plan, "datasets.train").depends_on == ("jobs.tune",)
    order = [c.key for c in execution_order(plan.changes)]
    assert order.index("jobs.tune") < order.index("datasets.train")


def test_budget_refuses_a_plan_whose_new_jobs_cost_more_with_the_figures() -> None:
    proj = project(jobs=[job("a"), job("b")], models=[], budget=2.0)
    with pytest.raises(BudgetExceededError) as raised:
        World(desired(proj)).plan()
    assert raised.value.message == (
        "estimated training cost $3.00 is above the budget of $2.00 (jobs.a $1.50, jobs.b $1.50)"
    )


def test_budget_counts_only_jobs_this_plan_creates() -> None:
    proj = project(jobs=[job("a"), job("b")], models=[], budget=2.0)
    world = World(desired(proj))
    world.upload("train")
    world.train("a")
    plan = world.plan()
    assert [c.address for c in plan.costs] == ["jobs.b"]
    assert plan.estimated_usd == 1.5


def test_budget_with_an_unknown_price_is_refused_with_a_hint() -> None:
    with pytest.raises(BudgetExceededError) as raised:
        World(desired(project(budget=5.0), usd=None)).plan()
    assert "cannot be estimated" in raised.value.message
    assert raised.value.hint is not None and "pricing" in raised.value.hint


def test_target_plans_only_the_target_and_what_it_depends_on() -> None:
    proj = project(datasets=("a", "b"), jobs=[job("ja", "a"), job("jb", "b")], models=[model("ma", "ja")])
    plan = World(desired(proj)).plan(targets=frozenset({"jobs.ja"}))
    assert actions(plan) == [("datasets.a", "create"), ("jobs.ja", "create")]
    assert any("targeting is in effect" in w for w in plan.warnings)


def test_target_and_replace_with_unknown_or_malformed_addresses_are_usage_errors() -> None:
    world = World(desired())
    with pytest.raises(UsageError, match="no such resource"):
        world.plan(targets=frozenset({"jobs.nope"}))
    with pytest.raises(UsageError, match=r"datasets\.NAME, jobs\.NAME or models\.NAME"):
        world.plan(targets=frozenset({"tune"}))
    with pytest.raises(UsageError, match="only datasets and jobs can be replaced"):
        world.plan(replaces=frozenset({"models.bot"}))


def test_refresh_only_reports_drift_and_plans_no_change() -> None:
    world = World(desired()).converge()
    rec = world.dataset_record("train")
    assert rec is not None
    del world.files[rec.file_id]
    plan = world.plan(refresh_only=True)
    assert plan.refresh_only and plan.changes == () and not plan.has_changes
    assert [d.address for d in plan.drift] == ["datasets.train"]


def test_refresh_only_does_not_refuse_on_protection() -> None:
    world = World(desired(project(models=[model("bot", "tune", protect=True)]))).converge()
    plan = world.plan(desired(project(models=[])), refresh_only=True)
    assert plan.changes == ()


def test_base_model_already_shut_down_refuses_the_job() -> None:
    world = World(desired())
    world.models[BASE] = ObservedModel(BASE, "system", 1, shutdown_date="2026-11-01")
    with pytest.raises(PlanError, match="was shut down on 2026-11-01"):
        world.plan(today=date(2026, 11, 24))


def test_base_model_shutting_down_soon_warns_for_new_jobs_and_active_models() -> None:
    world = World(desired())
    world.models[BASE] = ObservedModel(BASE, "system", 1, shutdown_date="2027-01-14")
    assert world.plan(today=date(2026, 11, 24)).warnings == (
        "jobs.tune: base model gpt-4o-mini-2024-07-18 shuts down on 2027-01-14 (51 days)",
    )
    world.converge()
    plan = world.plan(today=date(2026, 11, 24))
    [warning] = plan.warnings  # the job exists: its model is what matters now
    assert warning.startswith("models.bot: ft:") and warning.endswith("shuts down on 2027-01-14 (51 days)")
    assert not plan.has_changes
    assert world.plan(today=date(2026, 6, 1)).warnings == ()


def test_changes_are_ordered_datasets_jobs_models_by_name_and_executable_in_order() -> None:
    proj = project(
        datasets=("zeta", "alpha"),
        jobs=[job("jz", "zeta"), job("ja", "alpha")],
        models=[model("mz", "jz"), model("ma", "ja")],
    )
    plan = World(desired(proj)).plan()
    assert [c.key for c in plan.changes] == [
        "datasets.alpha",
        "datasets.zeta",
        "jobs.ja",
        "jobs.jz",
        "models.ma",
        "models.mz",
    ]
    assert execution_order(plan.changes) == list(plan.changes)


def test_plan_is_deterministic() -> None:
    world = World(desired()).converge()
    want = desired(contents={"train": "v2"})
    assert world.plan(want) == world.plan(want)


def test_inputs_digest_follows_content_and_manifests_not_paths() -> None:
    base = desired()
    moved = replace(base, project=replace(base.project, root=Path("/elsewhere")))
    assert base.inputs_digest() == moved.inputs_digest()
    assert base.inputs_digest() != desired(contents={"train": "v2"}).inputs_digest()
    assert base.inputs_digest() != desired(project(jobs=[job("tune", suffix="x")])).inputs_digest()


def test_plan_without_state_records_no_base() -> None:
    plan = make_plan(desired(), None, World(desired()).observed(), PlanOptions())
    assert plan.base.state_lineage is None and plan.base.state_serial is None
    assert [c.action for c in plan.changes] == [Action.CREATE] * 3


def test_every_plan_lists_active_models_with_base_and_shutdown_date() -> None:
    world = World(desired()).converge()
    current = world.model_record("bot").model_id  # type: ignore[union-attr]
    world.models[current] = ObservedModel(current, "acme-org", 1, shutdown_date="2027-01-14")
    plan = world.plan(today=date(2026, 11, 24))
    [entry] = plan.lifecycle
    assert (entry.address, entry.model_id, entry.base_model) == ("models.bot", current, BASE)
    assert (entry.shutdown_date, entry.days_left) == ("2027-01-14", 51)
    assert World(desired()).converge().plan().lifecycle[0].shutdown_date is None


def test_moving_to_a_successor_base_shows_the_old_model_on_its_old_base_until_promoted() -> None:
    world = World(desired()).converge()
    old = world.model_record("bot").model_id  # type: ignore[union-attr]
    world.models[BASE] = ObservedModel(BASE, "system", 1, shutdown_date="2027-01-14")
    successor = "gpt-4.1-mini-2025-04-14"
    world.models[successor] = ObservedModel(successor, "system", 1)
    plan = world.plan(desired(project(jobs=[job("tune", model=successor)])), today=date(2026, 11, 24))
    assert change(plan, "jobs.tune").action is Action.REPLACE
    assert change(plan, "models.bot").action is Action.UPDATE
    [entry] = plan.lifecycle
    assert (entry.model_id, entry.base_model, entry.days_left) == (old, BASE, 51)
    assert plan.warnings == (f"models.bot: {old} (on {BASE}) shuts down on 2027-01-14 (51 days)",)
    assert [c.address for c in plan.costs] == ["jobs.tune"]


def test_a_state_of_another_project_name_is_warned_about() -> None:
    world = World(desired()).converge()
    state = replace(world.state(), project="old-name")
    plan = make_plan(desired(), state, world.observed(), PlanOptions())
    assert any("written for project 'old-name'" in w for w in plan.warnings)


def test_destroy_with_a_target_takes_what_depends_on_it_not_what_it_depends_on() -> None:
    proj = project(datasets=("a", "b"), jobs=[job("ja", "a"), job("jb", "b")], models=[model("ma", "ja")])
    world = World(desired(proj)).converge()
    plan = world.plan(destroy=True, targets=frozenset({"jobs.ja"}))
    assert [k for k, _ in actions(plan)] == ["jobs.ja", "models.ma"]
    assert any("and what depends on them" in w for w in plan.warnings)
