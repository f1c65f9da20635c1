"""Planner tables: deployments (``models.<name>.deployment``): in place for a sku change, drift and
recreation, orphans of an interrupted run, protection, destroy's order, and the hosting budget."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from plan_builders import World, actions, change, desired, project

from ftops.errors import BudgetExceededError
from ftops.plan.model import DeleteDeployment, DeleteModel, Deploy, Plan, PromoteModel
from ftops.plan.observed import Observed
from ftops.plan.records import DeploymentRecord, ModelRecord, record_json
from ftops.provider.deployments import DeploymentPhase, ObservedDeployment, deployment_name
from ftops.resources import ActiveModel, Budget, Deployment, ProviderConfig, freeze

PROJECT = "acme"


def deploying(*, protect: bool = False, sku: str = "Standard", budget: Budget | None = None) -> World:
    base = project()
    bot = base.models["bot"]
    served = replace(bot, deployment=Deployment("bot", sku, 1), protect=protect)
    # Deployments with a sku are Azure's: the project is on Azure (the drift reasons say so).
    proj = replace(base, models=freeze({"bot": served}), budget=budget, provider=ProviderConfig(type="azure"))
    return DeployingWorld(desired(proj))


class DeployingWorld(World):
    def __init__(self, want: Any) -> None:
        super().__init__(want)
        self.deployments: dict[str, ObservedDeployment] = {}

    def deploy(
        self,
        name: str,
        *,
        record: bool = True,
        phase: DeploymentPhase = DeploymentPhase.SUCCEEDED,
        sku: str = "Standard",
    ) -> str:
        rec = self.model_record(name)
        assert rec is not None
        dep = deployment_name(name, rec.model_id)
        self.deployments[dep] = ObservedDeployment(
            dep, rec.model_id, sku, 1, phase, phase.value.title(), self.clock, PROJECT, f"models.{name}"
        )
        if record:
            made = DeploymentRecord(dep, rec.model_id, sku, 1, self.clock)
            self.resources[f"models.{name}"] = record_json(replace(rec, deployment=made))
        return dep

    def observed(self) -> Observed:
        return replace(super().observed(), deployments=freeze(dict(self.deployments)))


def converged() -> DeployingWorld:
    world = deploying().converge()
    assert isinstance(world, DeployingWorld)
    world.deploy("bot")
    return world


def test_a_converged_project_plans_nothing_and_shows_its_run_rate() -> None:
    world = converged()
    plan = world.plan()
    assert actions(plan) == []
    [line] = plan.hosting
    assert (line.change, line.sku, line.usd_per_hour) == ("keep", "Standard", 1.70)
    assert line.usd_per_month == pytest.approx(1241.0)


def test_a_first_promotion_deploys_before_its_checks() -> None:
    world = deploying()
    world.upload("train")
    world.train("tune")
    plan = world.plan()
    [step] = change(plan, "models.bot").steps
    assert isinstance(step, PromoteModel) and step.deployment is not None
    assert (step.deployment.prefix, step.deployment.sku, step.deployment.capacity) == ("bot", "Standard", 1)


def test_a_sku_change_updates_the_same_deployment_in_place() -> None:
    world = converged()
    dep = next(iter(world.deployments))
    world.deployments[dep] = replace(world.deployments[dep], sku="GlobalStandard")
    plan = world.plan()
    updated = change(plan, f"models.bot[deployment {dep}]")
    assert updated.reason == f"update deployment {dep} in place (sku: GlobalStandard → Standard)"
    [step] = updated.steps
    assert isinstance(step, Deploy) and step.name == dep


def test_a_deployment_gone_from_the_listing_is_drift_and_recreated() -> None:
    world = converged()
    dep = next(iter(world.deployments))
    del world.deployments[dep]
    plan = world.plan()
    assert [d.message for d in plan.drift] == [
        f"deployment {dep} was deleted outside ftops: Azure deletes a fine-tuned deployment after 15 days "
        "without traffic, or someone deleted it"
    ]
    assert actions(plan) == [(f"models.bot[deployment {dep}]", "create")]


def test_a_failed_provisioning_is_drift_and_put_again() -> None:
    world = converged()
    dep = next(iter(world.deployments))
    world.deployments[dep] = replace(world.deployments[dep], phase=DeploymentPhase.FAILED, state="Failed")
    plan = world.plan()
    assert [d.message for d in plan.drift] == [
        f"deployment {dep}: provisioning Failed (the service's message is in the Azure portal's activity log)"
    ]
    assert actions(plan) == [(f"models.bot[deployment {dep}]", "update")]


def test_an_unrecorded_deployment_of_the_project_left_by_a_crash_is_deleted() -> None:
    world = converged()
    stray = ObservedDeployment(
        "bot-0badcafe",
        "ft:old",
        "Standard",
        1,
        DeploymentPhase.SUCCEEDED,
        "Succeeded",
        1,
        PROJECT,
        "models.bot",
    )
    someone_elses = replace(stray, name="other-1", project="another-project")
    world.deployments.update({stray.name: stray, someone_elses.name: someone_elses})
    plan = world.plan()
    assert actions(plan) == [("models.bot[deployment bot-0badcafe]", "delete")]


def test_destroy_deletes_the_deployment_before_the_model() -> None:
    world = converged()
    dep = next(iter(world.deployments))
    model_id = world.deployments[dep].model_id
    plan = world.plan(destroy=True)
    removed = change(plan, f"models.bot[deployment {dep}]")
    assert isinstance(removed.steps[0], DeleteDeployment)
    deleting_model = [
        c for c in plan.changes if any(isinstance(s, DeleteModel) and s.model_id == model_id for s in c.steps)
    ]
    assert deleting_model and all(removed.key in c.depends_on for c in deleting_model)


def test_destroy_keeps_a_protected_names_deployment() -> None:
    world = deploying(protect=True).converge()
    assert isinstance(world, DeployingWorld)
    rec = world.model_record("bot")
    assert rec is not None
    world.resources["models.bot"] = record_json(replace(rec, protect=True))
    dep = world.deploy("bot")
    plan: Plan = world.plan(destroy=True)
    assert not [c for c in plan.changes for s in c.steps if isinstance(s, DeleteDeployment)]
    assert [(h.deployment, h.change) for h in plan.hosting] == [(dep, "keep")]


def test_a_provider_without_deployments_ignores_the_declaration_with_a_warning() -> None:
    world = converged()
    plan = make_without_listing(world)
    assert "models.bot: this provider serves models without deployments" in plan.warnings[0]


def make_without_listing(world: DeployingWorld) -> Plan:
    from ftops.plan.options import PlanOptions
    from ftops.plan.planner import make_plan

    return make_plan(world.want, world.state(), World.observed(world), PlanOptions())


def test_the_hosting_budget_refuses_a_run_rate_above_it_and_an_unknown_price() -> None:
    world = deploying(budget=Budget(5.0, None, 1000.0)).converge()
    assert isinstance(world, DeployingWorld)
    world.deploy("bot")
    with pytest.raises(
        BudgetExceededError, match=r"run-rate \$1,241.00/month is above budget.monthly_hosting"
    ):
        world.plan()
    unpriced = deploying(sku="ProvisionedManaged", budget=Budget(5.0, None, 1000.0)).converge()
    assert isinstance(unpriced, DeployingWorld)
    unpriced.deploy("bot", sku="ProvisionedManaged")
    with pytest.raises(BudgetExceededError, match="no hourly price for ft:gpt-4o-mini") as refused:
        unpriced.plan()
    assert refused.value.hint is not None and "{hosting: USD per hour}" in refused.value.hint


def test_a_record_without_deployment_reads_as_before() -> None:
    rec = ModelRecord("ft:x", "job-1")
    assert "deployment" not in rec.to_json()
    assert ModelRecord.from_json(rec.to_json(), "models.bot") == rec
    assert isinstance(ActiveModel("bot", job="tune").deployment, type(None))


def test_a_name_that_stops_declaring_its_deployment_has_it_deleted() -> None:
    world = converged()
    dep = next(iter(world.deployments))
    world.want = desired(project())  # the same name, without `deployment:`
    plan = world.plan()
    assert actions(plan) == [(f"models.bot[deployment {dep}]", "delete")]
    [line] = plan.hosting
    assert (line.deployment, line.change) == (dep, "delete")
