"""The pure side of several providers: a project cut into parts, each planned against its own
provider's observations, put together with the alias on every address and change."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from types import MappingProxyType

import pytest

from ftops.errors import UsageError
from ftops.multi.partition import fingerprint, merge_view, view
from ftops.multi.plan import check_state_providers, plan_parts
from ftops.plan.desired import Desired
from ftops.plan.model import DeleteModel, Plan, PromoteModel
from ftops.plan.observed import Observed, ObservedModel
from ftops.plan.options import PlanOptions
from ftops.resources import Job, ProviderConfig
from ftops.state import StateSnapshot
from tests.plan.plan_builders import BASE, LINEAGE, PROJECT, World, desired, job, model, project

AZURE = ProviderConfig(type="azure", endpoint="https://acme.openai.azure.com")
EMPTY_AZURE = Observed(models=MappingProxyType({BASE: ObservedModel(BASE, "system", 1)}))
OPTIONS = {"default": PlanOptions(), "az": PlanOptions()}


def on_two(jobs: list[Job], **datasets_on: str) -> Desired:
    base = project(datasets=("train", "extra"), jobs=jobs, models=[model("bot", "tune")])
    datasets = {n: replace(d, provider=datasets_on.get(n)) for n, d in base.datasets.items()}
    return desired(replace(base, providers=MappingProxyType({"az": AZURE}),
                           datasets=MappingProxyType(datasets)))


def rows(plan: Plan) -> list[tuple[str, str, str | None]]:
    return [(c.key, c.action.value, c.provider) for c in plan.actionable]


def test_from_nothing_each_part_is_planned_on_its_provider() -> None:
    want = on_two([job("tune", "train"), replace(job("other", "train"), provider="az")], extra="az")
    plan = plan_parts(want, None, {"default": EMPTY_AZURE, "az": EMPTY_AZURE}, OPTIONS)
    assert rows(plan) == [
        ("datasets.extra@az", "create", "az"),  # declared on az, read by no job: only there
        ("datasets.train", "create", "default"),  # read by a job on each: uploaded to each
        ("datasets.train@az", "create", "az"),
        ("jobs.other@az", "create", "az"),
        ("jobs.tune", "create", "default"),
        ("models.bot", "create", "default"),
    ]
    assert [c.depends_on for c in plan.changes if c.key == "jobs.other@az"] == [("datasets.train@az",)]


def converged_on_default() -> tuple[World, StateSnapshot]:
    world = World(on_two([job("tune", "train")]))
    world.converge()
    return world, world.state()


def test_a_job_moved_to_another_provider_plans_a_move() -> None:
    world, state = converged_on_default()
    old_model = world.model_record("bot").model_id  # type: ignore[union-attr]
    moved = on_two([replace(job("tune", "train"), provider="az")])
    plan = plan_parts(moved, state, {"default": world.observed(), "az": EMPTY_AZURE}, OPTIONS)
    assert rows(plan) == [
        ("datasets.train", "delete", "default"),  # no job reads it there any more
        ("datasets.train@az", "create", "az"),
        ("jobs.tune", "delete", "default"),
        ("jobs.tune@az", "create", "az"),
        ("models.bot", "update", "az"),
        (f"models.bot[{old_model}]", "delete", "default"),  # deleted through the old provider
    ]
    by_key = {c.key: c for c in plan.changes}
    assert by_key["jobs.tune@az"].reason.startswith("moves openai -> azure (default -> az): ")
    promote = by_key["models.bot"]
    assert promote.depends_on == ("jobs.tune@az",)
    assert [type(s) for s in promote.steps] == [PromoteModel]
    prune = by_key[f"models.bot[{old_model}]"]
    assert prune.depends_on == ("models.bot",) and prune.steps == (DeleteModel("models.bot", old_model),)
    # The old job's record goes once the name moved; nothing else deletes the old model.
    assert by_key["jobs.tune"].depends_on == ("models.bot",)
    deletions = [s for c in plan.changes for s in c.steps if isinstance(s, DeleteModel)]
    assert deletions == [DeleteModel("models.bot", old_model)]


def test_after_the_move_the_plan_is_empty() -> None:
    """The state a finished move leaves, against both accounts: nothing to do."""
    world, state = converged_on_default()
    moved = on_two([replace(job("tune", "train"), provider="az")])
    az = World(moved)
    az.converge()  # the new upload, job and name, as the az part records them
    resources = {k: v for k, v in state.resources.items() if not k.startswith(("jobs.", "datasets.train"))}
    resources = merge_view(resources, "az", {k: v for k, v in az.resources.items()
                                             if k.startswith(("jobs.", "datasets.train"))})
    resources["models.bot"] = az.resources["models.bot"]
    resources["datasets.extra"] = az.resources["datasets.extra"]
    world.files.update(az.files)  # the default keeps the extra upload; train's old one is gone
    plan = plan_parts(moved, StateSnapshot(LINEAGE, 4, resources, PROJECT),
                      {"default": world.observed(), "az": az.observed()}, OPTIONS)
    assert [c for c in plan.actionable if not c.key.startswith("datasets.train")] == []


def test_a_state_alias_the_manifests_dropped_is_refused() -> None:
    _, state = converged_on_default()
    stranded = state.with_resources({**state.resources, "jobs.x@tg": state.resources["jobs.tune"]})
    with pytest.raises(UsageError, match="provider alias 'tg', which the manifests no longer declare"):
        check_state_providers(on_two([job("tune")]), stranded, {"default": {"type": "openai"}})


def test_an_alias_that_changed_type_in_place_is_refused_and_a_new_address_warned() -> None:
    _, state = converged_on_default()
    recorded = replace(state, providers={"az": fingerprint(AZURE)})
    other = {"default": {"type": "openai"}, "az": {"type": "together"}}
    with pytest.raises(UsageError, match=r"provider alias 'az' was azure \(https://acme"):
        check_state_providers(on_two([job("tune")]), recorded, other)
    same = {**other, "az": fingerprint(AZURE)}
    assert check_state_providers(on_two([job("tune")]), recorded, same) == []
    gateway = {**other, "az": {"type": "azure", "endpoint": "https://gateway.example"}}
    assert check_state_providers(on_two([job("tune")]), recorded, gateway) == [
        "provider alias 'az' was azure (https://acme.openai.azure.com) and is now azure "
        "(https://gateway.example): its resources are looked for at the new address"]


def test_a_target_on_one_alias_plans_only_that_part() -> None:
    want = on_two([job("tune", "train"), replace(job("other", "train"), provider="az")])
    options = {a: PlanOptions(targets=frozenset({"jobs.other@az"})) for a in OPTIONS}
    plan = plan_parts(want, None, {"default": EMPTY_AZURE, "az": EMPTY_AZURE}, options)
    assert rows(plan) == [("datasets.train@az", "create", "az"), ("jobs.other@az", "create", "az")]
    plain = {a: PlanOptions(targets=frozenset({"jobs.other"})) for a in OPTIONS}  # its declared alias
    assert plan_parts(want, None, {"default": EMPTY_AZURE, "az": EMPTY_AZURE}, plain) == plan


def test_views_keep_each_alias_apart() -> None:
    resources = {"jobs.a": {"n": 1}, "jobs.a@az": {"n": 2}, "pending.jobs.a@az": {"n": 3},
                 "models.m": {"n": 4}}
    assert view(resources, "az") == {"jobs.a": {"n": 2}, "pending.jobs.a": {"n": 3}, "models.m": {"n": 4}}
    assert view(resources, "default") == {"jobs.a": {"n": 1}, "models.m": {"n": 4}}
    changed = merge_view(resources, "az", {"jobs.a": {"n": 5}, "models.m": {"n": 4}})
    assert changed == {"jobs.a": {"n": 1}, "jobs.a@az": {"n": 5}, "models.m": {"n": 4}}


def test_during_a_move_the_name_shows_its_old_models_base_and_shutdown() -> None:
    """The name still serves the old provider's model until the new one passes: the plan shows
    that model's base and shutdown date, read from the old provider (not the new job's base)."""
    world, state = converged_on_default()
    world.models[BASE] = ObservedModel(BASE, "system", 1, shutdown_date="2027-01-14")
    new_base = ObservedModel("llama-3", "system", 1)
    moved = on_two([replace(job("tune", "train", model="llama-3"), provider="az")])
    options = {a: PlanOptions(today=date(2026, 12, 6)) for a in OPTIONS}
    az = Observed(models=MappingProxyType({"llama-3": new_base}))
    plan = plan_parts(moved, state, {"default": world.observed(), "az": az}, options)
    old_model = world.model_record("bot").model_id  # type: ignore[union-attr]
    (entry,) = plan.lifecycle
    assert (entry.model_id, entry.base_model, entry.shutdown_date, entry.days_left) == (
        old_model, BASE, "2027-01-14", 39)
    assert plan.warnings == (f"az: models.bot: {old_model} (on {BASE}, on provider default) shuts down on "
                             "2027-01-14 (39 days)",)
