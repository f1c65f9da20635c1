"""Planner tables: models ftops did not create (pinned by ``models.NAME.model``, brought in by
``import``) are never deleted by prune, replacement or destroy unless the name's manifest entry
says ``delete_external: true``; models its jobs made are, as before."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from plan_builders import BASE, World, actions, change, check, desired, job, model, project

from ftops.errors import PlanError
from ftops.plan.model import Action, DeleteModel, ForgetResource, PromoteModel
from ftops.plan.observed import ObservedModel
from ftops.plan.records import ModelRecord, Origin, record_json
from ftops.resources import ActiveModel, SourceLocation, freeze

HANDMADE = f"ft:{BASE}:acme-org:handmade:AbC123"
OTHER_HANDMADE = f"ft:{BASE}:acme-org:other:XyZ789"


def pinned(name: str = "bot", target: str = HANDMADE, *, checks: int = 1, delete_external: bool = False,
           keep_previous: int = 0) -> ActiveModel:
    return ActiveModel(name=name, model=target, checks=tuple(check() for _ in range(checks)),
                       keep_previous=keep_previous, delete_external=delete_external,
                       declared_at=SourceLocation("manifests/acme.yaml", 9, 3))


def world_with_handmade(*models: ActiveModel, jobs: list[Any] | None = None) -> World:
    job_list = jobs if jobs is not None else []
    datasets = ("train",) if job_list else ()
    world = World(desired(project(datasets=datasets, jobs=job_list, models=list(models))))
    for made in (HANDMADE, OTHER_HANDMADE):
        world.models[made] = ObservedModel(made, "acme-org", 1_690_000_000, shutdown_date="2027-01-14")
    return world


def hold(world: World, name: str, model_id: str, origin: Origin | None, job_id: str = "",
         previous: tuple[str, ...] = ()) -> None:
    """Write the record ftops keeps for a name holding ``model_id``; ``origin`` None writes a
    record as an ftops older than ownership did (no ``origins`` key)."""
    origins = freeze({model_id: origin}) if origin is not None else freeze({})
    data = dict(record_json(ModelRecord(model_id, job_id, False, previous, origins)))
    if origin is None:
        del data["origins"]
    world.resources[f"models.{name}"] = freeze(data)


def deleted(plan: Any) -> list[str]:
    return [s.model_id for c in plan.changes for s in c.steps if isinstance(s, DeleteModel)]


# ---- pinning ---------------------------------------------------------------------------------


def test_a_new_pin_is_a_promotion_to_the_model_once_its_checks_pass_and_shows_its_shutdown() -> None:
    world = world_with_handmade(pinned())
    plan = world.plan(today=date(2026, 12, 6))
    pin = change(plan, "models.bot")
    assert pin.action is Action.CREATE
    assert pin.reason == f"pin {HANDMADE} (made elsewhere) once its 1 check passes"
    step = pin.steps[0]
    assert isinstance(step, PromoteModel) and step.model_id == HANDMADE and step.job_address is None
    assert step.checks and pin.depends_on == ()
    (life,) = plan.lifecycle
    assert (life.model_id, life.base_model, life.shutdown_date, life.days_left) == (
        HANDMADE, BASE, "2027-01-14", 39)


def test_a_pin_to_a_model_the_account_does_not_hold_is_refused_with_its_location() -> None:
    world = world_with_handmade(pinned(target="ft:gpt-4o-mini-2024-07-18:acme-org:typo:000"))
    with pytest.raises(PlanError) as raised:
        world.plan()
    assert raised.value.message.startswith("manifests/acme.yaml:9:3: models.bot: model ft:")
    assert "is not in the account" in raised.value.message


def test_an_applied_pin_plans_no_change() -> None:
    world = world_with_handmade(pinned())
    hold(world, "bot", HANDMADE, "pinned")
    plan = world.plan()
    assert actions(plan) == []
    assert change(plan, "models.bot").reason == f"points at {HANDMADE} (pinned)"


def test_moving_a_pin_keeps_the_old_model_in_the_account() -> None:
    world = world_with_handmade(pinned(target=OTHER_HANDMADE))
    hold(world, "bot", HANDMADE, "pinned")
    plan = world.plan()
    assert actions(plan) == [("models.bot", "update")]
    assert deleted(plan) == []


# ---- destroy, removal ------------------------------------------------------------------------


@pytest.mark.parametrize("origin", ["pinned", "imported", None])
def test_destroy_forgets_a_model_ftops_did_not_create_and_leaves_it_in_the_account(
    origin: Origin | None,
) -> None:
    world = world_with_handmade(pinned())
    hold(world, "bot", HANDMADE, origin, job_id="ftjob-handmade" if origin is None else "")
    plan = world.plan(destroy=True)
    removal = change(plan, "models.bot")
    assert removal.steps == (ForgetResource("models.bot"),)
    assert f"leaves {HANDMADE} in the account: not created by ftops" in removal.reason
    assert any("delete_external: true" in w for w in plan.warnings)
    assert deleted(plan) == []


def test_destroy_deletes_a_model_made_elsewhere_when_the_name_says_delete_external() -> None:
    world = world_with_handmade(pinned(delete_external=True))
    hold(world, "bot", HANDMADE, "pinned")
    plan = world.plan(destroy=True)
    assert change(plan, "models.bot").steps == (DeleteModel("models.bot", HANDMADE),
                                                ForgetResource("models.bot"))


def test_a_name_removed_from_the_manifests_forgets_its_pinned_model() -> None:
    world = world_with_handmade(pinned())
    hold(world, "bot", HANDMADE, "pinned")
    plan = world.plan(desired(project(datasets=(), jobs=[], models=[])))
    assert change(plan, "models.bot").steps == (ForgetResource("models.bot"),)
    assert deleted(plan) == []


@pytest.mark.parametrize("origin", ["ftops", "imported", None])
def test_destroy_deletes_a_model_one_of_the_project_s_jobs_made_whatever_its_record_says(
    origin: Origin | None,
) -> None:
    """Made by one of the project's jobs means created by ftops: an old record without origins
    is decided by that evidence, and so is an import of the job's own model."""
    world = World(desired()).converge()
    current = world.model_record("bot").model_id  # type: ignore[union-attr]
    hold(world, "bot", current, origin, job_id=world.job_record("tune").job_id)  # type: ignore[union-attr]
    plan = world.plan(destroy=True)
    assert current in deleted(plan)


# ---- replacement and pruning -----------------------------------------------------------------


def test_a_pin_changed_to_a_job_keeps_the_pin_until_promotion_and_never_prunes_it() -> None:
    world = world_with_handmade(model("bot", "tune"), jobs=[job("tune")])
    hold(world, "bot", HANDMADE, "pinned")
    plan = world.plan()
    promote = change(plan, "models.bot")
    assert promote.reason == (f"promote once jobs.tune succeeds and its 1 check passes; "
                              f"models.bot keeps {HANDMADE} until then")
    assert deleted(plan) == []
    # The job trained and the promotion happened: the pin is now an earlier model of the name.
    world.upload("train")
    world.train("tune")
    world.promote("bot")
    record = world.model_record("bot")
    assert record is not None and record.previous == (HANDMADE,)
    world.resources["models.bot"] = record_json(
        ModelRecord(record.model_id, record.job_id, False, record.previous,
                    freeze({record.model_id: "ftops", HANDMADE: "pinned"})))
    plan = world.plan()
    assert actions(plan) == [] and deleted(plan) == []


def test_an_imported_model_superseded_by_a_promotion_is_not_pruned_but_a_created_one_is() -> None:
    world = world_with_handmade(model("bot", "tune"), jobs=[job("tune")])
    world.upload("train")
    world.train("tune")
    ours = world.job_record("tune").fine_tuned_model  # type: ignore[union-attr]
    assert ours is not None
    hold(world, "bot", HANDMADE, "imported")
    plan = world.plan()
    assert change(plan, "models.bot").action is Action.UPDATE
    assert deleted(plan) == []  # the imported model is superseded, not pruned
    # After a retrain, the job's earlier model (created by ftops) is pruned; the import is not.
    world.resources["models.bot"] = record_json(
        ModelRecord(ours, "x", False, (HANDMADE,), freeze({ours: "ftops", HANDMADE: "imported"})))
    world.want = desired(project(jobs=[job("tune", n_epochs=7)], models=[model("bot", "tune")]))
    world.train("tune")
    plan = world.plan()
    assert deleted(plan) == [ours]


def test_delete_external_lets_prune_delete_a_superseded_model_made_elsewhere() -> None:
    world = world_with_handmade(pinned(target=OTHER_HANDMADE, delete_external=True))
    hold(world, "bot", HANDMADE, "pinned")
    plan = world.plan()
    prune = change(plan, f"models.bot[{HANDMADE}]")
    assert prune.steps == (DeleteModel("models.bot", HANDMADE),) and prune.depends_on == ("models.bot",)


def test_a_base_model_can_be_pinned_as_a_prompt_only_replacement() -> None:
    world = world_with_handmade(pinned(target=BASE, checks=0))
    world.models[BASE] = ObservedModel(BASE, "system", 1, shutdown_date="2027-01-14")
    plan = world.plan(today=date(2027, 1, 4))
    assert change(plan, "models.bot").reason == f"pin {BASE} (made elsewhere)"
    (life,) = plan.lifecycle
    assert (life.model_id, life.base_model, life.days_left) == (BASE, BASE, 10)


def test_a_plan_saved_before_pins_existed_reads_its_promotions_as_job_promotions() -> None:
    from pathlib import Path

    from ftops.plan.planfile import load_plan

    saved = Path(__file__).parents[1] / "reliability" / "fixtures" / "retrain.plan"  # by ftops 0.1.0
    promotions = [s for c in load_plan(saved).changes for s in c.steps if isinstance(s, PromoteModel)]
    assert promotions and all(p.model_id is None and p.job_address for p in promotions)
