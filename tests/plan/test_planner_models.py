"""Planner tables: model names (promotion, create-before-destroy, pruning, protection)."""

from __future__ import annotations

import pytest
from plan_builders import World, actions, change, desired, job, model, project

from ftops.errors import ProtectedResourceError
from ftops.plan.model import Action, DeleteModel, ForgetResource, PromoteModel, UpdateRecord


def test_promotion_waits_while_the_job_runs_and_the_name_keeps_its_model() -> None:
    world = World(desired()).converge()
    old = world.model_record("bot").model_id  # type: ignore[union-attr]
    world.want = desired(project(jobs=[job("tune", n_epochs=4)]))
    world.train("tune", status="running")
    plan = world.plan()
    promote = change(plan, "models.bot")
    assert promote.action is Action.UPDATE
    assert (
        promote.reason
        == f"promote once jobs.tune succeeds and its 1 check passes; models.bot keeps {old} until then"
    )
    assert promote.depends_on == ()  # the job already exists: nothing in this plan to wait for
    assert isinstance(promote.steps[0], PromoteModel) and promote.steps[0].checks
    assert plan.in_progress == {"jobs.tune": "running"}


def test_promotion_when_the_job_succeeded() -> None:
    world = World(desired())
    world.upload("train")
    job_id = world.train("tune", status="running")
    ft = world.finish(job_id)
    plan = world.plan()
    promote = change(plan, "models.bot")
    assert promote.action is Action.CREATE
    assert promote.reason == f"promote {ft} (from jobs.tune) once its 1 check passes"
    assert promote.after is not None and promote.after["model_id"] == ft


def test_new_job_promotion_depends_on_its_creation() -> None:
    plan = World(desired()).plan()
    promote = change(plan, "models.bot")
    assert promote.depends_on == ("jobs.tune",)
    assert promote.reason == "promote once jobs.tune succeeds and its 1 check passes"


def test_old_model_is_pruned_only_after_the_promotion_that_supersedes_it() -> None:
    world = World(desired()).converge()
    old = world.model_record("bot").model_id  # type: ignore[union-attr]
    plan = world.plan(desired(contents={"train": "v2"}))
    prune = change(plan, f"models.bot[{old}]")
    assert prune.steps == (DeleteModel("models.bot", old),)
    assert prune.depends_on == ("models.bot",)
    assert "after the promotion" in prune.reason


def test_keep_previous_keeps_the_most_recent_previous_models() -> None:
    want = desired(project(models=[model("bot", "tune", keep_previous=1)]))
    world = World(want)
    world.upload("train")
    ids = []
    for epochs in (1, 2, 3):
        world.want = desired(
            project(jobs=[job("tune", n_epochs=epochs)], models=[model("bot", "tune", keep_previous=1)])
        )
        world.train("tune")
        ids.append(world.promote("bot"))
    plan = world.plan()
    assert actions(plan) == [(f"models.bot[{ids[0]}]", "delete")]
    assert change(plan, f"models.bot[{ids[0]}]").depends_on == ()


def test_a_declared_job_keeps_its_model_without_a_name_but_a_removed_job_loses_it() -> None:
    proj = project(jobs=[job("tune"), job("trial")], models=[model("bot", "tune")])
    world = World(desired(proj)).converge()
    trial_model = world.job_record("trial").fine_tuned_model  # type: ignore[union-attr]
    assert actions(world.plan()) == []  # jobs.trial is declared: its model is its output
    plan = world.plan(desired(project()))
    prune = change(plan, f"jobs.trial[{trial_model}]")
    assert prune.reason == "prune: made by jobs.trial (no longer declared), held by no model name"
    assert prune.steps == (DeleteModel("jobs.trial", trial_model),)


def test_an_earlier_model_of_a_job_no_name_holds_is_pruned() -> None:
    proj = project(jobs=[job("tune"), job("trial")], models=[model("bot", "tune")])
    world = World(desired(proj)).converge()
    first = world.job_record("trial").fine_tuned_model  # type: ignore[union-attr]
    world.want = desired(project(jobs=[job("tune"), job("trial", n_epochs=9)], models=[model("bot", "tune")]))
    world.train("trial")
    plan = world.plan()
    assert (
        change(plan, f"jobs.trial[{first}]").reason
        == "prune: an earlier model of jobs.trial, held by no model name"
    )


def test_protected_name_removed_from_the_manifests_is_refused_with_how_to_release_it() -> None:
    world = World(desired(project(models=[model("bot", "tune", protect=True)]))).converge()
    with pytest.raises(ProtectedResourceError) as raised:
        world.plan(desired(project(models=[])))
    assert "models.bot is protected" in raised.value.message
    assert raised.value.hint is not None and "protect: false" in raised.value.hint


def test_protected_name_keeps_its_earlier_models_on_retrain() -> None:
    proj = project(models=[model("bot", "tune", protect=True)])
    world = World(desired(proj)).converge()
    first = world.model_record("bot").model_id  # type: ignore[union-attr]
    world.want = desired(proj, contents={"train": "v2"})
    world.upload("train")
    world.train("tune")
    plan = world.plan()
    assert change(plan, "models.bot").action is Action.UPDATE
    deleted = [s.model_id for c in plan.changes for s in c.steps if isinstance(s, DeleteModel)]
    assert first not in deleted and deleted == []


def test_protect_flag_change_updates_the_record_only() -> None:
    world = World(desired(project(models=[model("bot", "tune", protect=True)]))).converge()
    plan = world.plan(desired())
    update = change(plan, "models.bot")
    assert update.action is Action.UPDATE and update.reason == "protect: true → false"
    assert isinstance(update.steps[0], UpdateRecord) and update.steps[0].record["protect"] is False


def test_removed_unprotected_name_deletes_its_models_and_is_forgotten() -> None:
    world = World(desired()).converge()
    current = world.model_record("bot").model_id  # type: ignore[union-attr]
    plan = world.plan(desired(project(jobs=[job("other")], models=[])))
    removal = change(plan, "models.bot")
    assert removal.steps == (DeleteModel("models.bot", current), ForgetResource("models.bot"))


def test_removed_name_keeps_a_model_still_in_use_by_another_name_or_its_declared_job() -> None:
    proj = project(models=[model("bot", "tune"), model("twin", "tune")])
    world = World(desired(proj)).converge()
    current = world.model_record("twin").model_id  # type: ignore[union-attr]
    plan = world.plan(desired(project()))
    removal = change(plan, "models.twin")
    assert removal.steps == (ForgetResource("models.twin"),)
    assert f"keeps {current}, still in use" in removal.reason
    deleted = [s for c in plan.changes for s in c.steps if isinstance(s, DeleteModel)]
    assert deleted == []


def test_model_deleted_outside_ftops_is_drift() -> None:
    world = World(desired()).converge()
    current = world.model_record("bot").model_id  # type: ignore[union-attr]
    del world.models[current]
    plan = world.plan()
    assert [(d.address, d.message) for d in plan.drift] == [
        ("models.bot", f"model {current} was deleted outside ftops")
    ]
    assert any("no longer exists" in w for w in plan.warnings)


def test_failed_retrain_keeps_the_old_model_and_prunes_nothing() -> None:
    world = World(desired()).converge()
    old = world.model_record("bot").model_id  # type: ignore[union-attr]
    world.want = desired(contents={"train": "v2"})
    world.upload("train")
    world.train("tune", status="failed", error="bad")
    plan = world.plan()
    old_file = world.dataset_record("train").retired_file_ids[0]  # type: ignore[union-attr]
    assert actions(plan) == [(f"datasets.train[{old_file}]", "delete")]  # the old job has finished
    assert change(plan, "models.bot").before["model_id"] == old  # type: ignore[index]
    assert any(f"keeps {old}" in w for w in plan.warnings)
