"""Issue 17: a job's base model is checked against the account's models listing (and the
provider's catalogue) when the plan is made, before any upload, and before the budget."""

from __future__ import annotations

from dataclasses import replace

import pytest
from plan_builders import BASE, World, desired, job, model, project

from ftops.emulator import catalog as emulator_catalog
from ftops.errors import ManifestError
from ftops.lifecycle.catalogue import catalogue_for, closest_names
from ftops.plan.base_models import base_model_problems
from ftops.plan.observed import ObservedModel
from ftops.resources import SourceLocation

OPENAI = catalogue_for("openai")
LISTING = frozenset({m.id for m in emulator_catalog.BASE_MODELS} | {"ft:gpt-4o-mini-2024-07-18:acme::abc"})


def problems(model_name: str, listed: frozenset[str] = LISTING, provider: str | None = "openai") -> list[str]:
    spec = job("tune", model=model_name)
    catalogue = catalogue_for(provider) if provider is not None else None
    return [d.render() for d in base_model_problems([spec], listed, catalogue)]


def test_a_misspelled_model_is_refused_with_the_closest_snapshot() -> None:
    assert problems("gpt-4.1-mnii") == [
        "manifests: jobs.tune.model: the account lists no model 'gpt-4.1-mnii'; did you mean "
        "'gpt-4.1-mini-2025-04-14' or 'gpt-4o-mini-2024-07-18'?"]


def test_a_listed_model_the_catalogue_knows_cannot_be_fine_tuned_is_refused() -> None:
    assert problems("gpt-5-mini") == [
        "manifests: jobs.tune.model: 'gpt-5-mini' cannot be fine-tuned; the closest that can: "
        "'gpt-4o-mini-2024-07-18' or 'gpt-4.1-mini-2025-04-14'"]


def test_listed_fine_tunable_models_and_the_account_s_fine_tuned_models_pass() -> None:
    for name in ("gpt-4o-mini-2024-07-18", "gpt-4o-mini", "o4-mini", "ft:gpt-4o-mini-2024-07-18:acme::abc"):
        assert problems(name) == [], name


def test_a_fine_tuned_model_the_account_does_not_hold_is_refused() -> None:
    assert problems("ft:gpt-4o-mini-2024-07-18:acme::abd") == [
        "manifests: jobs.tune.model: no fine-tuned model of the account is named "
        "'ft:gpt-4o-mini-2024-07-18:acme::abd' (deleted, or another organization's?); "
        "did you mean 'ft:gpt-4o-mini-2024-07-18:acme::abc'?"]


def test_without_a_catalogue_only_the_listing_decides() -> None:
    """Azure: its own names, and models OpenAI does not fine-tune, are whatever its listing says."""
    azure_listing = frozenset({"gpt-35-turbo-0125", "gpt-4o-mini-2024-07-18", "gpt-5-mini"})
    assert problems("gpt-35-turbo-0125", azure_listing, provider="azure") == []
    assert problems("gpt-5-mini", azure_listing, provider="azure") == []
    assert problems("gpt-35-turbo-0126", azure_listing, provider="azure") == [
        "manifests: jobs.tune.model: the account lists no model 'gpt-35-turbo-0126'; did you mean "
        "'gpt-35-turbo-0125'?"]


def test_the_problem_stands_at_the_job_s_declaration() -> None:
    where = SourceLocation("manifests/acme.yaml", 7, 3)
    located = replace(job("tune", model="gpt4o-mini"), declared_at=where)
    [diagnostic] = base_model_problems([located], LISTING, OPENAI)
    assert (diagnostic.file, diagnostic.line, diagnostic.column) == ("manifests/acme.yaml", 7, 3)


def test_closest_names_prefer_the_dated_snapshot_of_a_family() -> None:
    assert closest_names("gpt4o-mini", LISTING, limit=1) == ("gpt-4o-mini-2024-07-18",)
    assert closest_names("zzz", LISTING) == ()


# --- in the planner --------------------------------------------------------------------------------


def test_the_planner_refuses_a_new_job_on_a_misspelled_model_before_the_budget() -> None:
    """With no price for the typo the budget check would have said 'add pricing: {gpt4o-mini: ...}'."""
    proj = project(jobs=[job("tune", model="gpt4o-mini")], budget=5.0)
    with pytest.raises(ManifestError) as raised:
        World(desired(proj, usd=None)).plan(catalogue=OPENAI)
    assert raised.value.message == (
        "1 job would train on a base model that cannot be fine-tuned here; nothing was uploaded")
    assert [d.path for d in raised.value.diagnostics] == ["jobs.tune.model"]
    assert "did you mean 'gpt-4o-mini-2024-07-18'" in raised.value.diagnostics[0].message
    assert raised.value.hint is None or "pricing" not in raised.value.hint


def test_the_planner_refuses_a_listed_model_that_cannot_be_fine_tuned() -> None:
    proj = project(jobs=[job("tune", model="gpt-5-mini")])
    world = World(desired(proj))
    world.models["gpt-5-mini"] = ObservedModel("gpt-5-mini", "system", 1)
    with pytest.raises(ManifestError, match="cannot be fine-tuned"):
        world.plan(catalogue=OPENAI)
    world.plan()  # without a catalogue (Azure, a gateway) the listing alone decides


def test_a_job_already_trained_is_not_judged_again() -> None:
    """A model gone from the listing (shut down) does not block a plan that creates no job on it."""
    proj = project(jobs=[job("tune")], models=[model("bot", "tune")])
    world = World(desired(proj)).converge()
    del world.models[BASE]
    plan = world.plan(catalogue=OPENAI)
    assert not [c for c in plan.changes if c.address == "jobs.tune" and c.steps]


def test_refresh_only_and_destroy_create_nothing_and_check_nothing() -> None:
    proj = project(jobs=[job("tune", model="gpt-4.1-mnii")], models=[])
    world = World(desired(proj))
    world.plan(catalogue=OPENAI, refresh_only=True)
    world.plan(catalogue=OPENAI, destroy=True)


def test_the_emulator_trains_exactly_what_the_catalogue_calls_fine_tunable() -> None:
    """The emulator stands in for OpenAI in rehearsals: both must agree on every model it lists."""
    assert OPENAI is not None
    for base in emulator_catalog.BASE_MODELS:
        if base.methods:
            assert base.id in OPENAI.fine_tunable, base.id
        else:
            assert base.id in OPENAI.not_fine_tunable, base.id


def test_on_together_the_suggestions_are_models_it_fine_tunes() -> None:
    """Together's models listing holds every model it serves; a misspelled base model is
    answered with the closest of those it fine-tunes, not with a chat-only model."""
    listing = frozenset({"Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B-Instruct-Turbo",
                         "meta-llama/Llama-3.2-3B-Instruct"})
    assert problems("Qwen/Qwen2.5-7B-Instruc", listing, provider="together") == [
        "manifests: jobs.tune.model: the account lists no model 'Qwen/Qwen2.5-7B-Instruc'; did you mean "
        "'Qwen/Qwen2.5-7B-Instruct'?"]
    assert problems("Qwen/Qwen2.5-7B-Instruct", listing, provider="together") == []
    together = catalogue_for("together")
    assert together is not None and together.offline_problem("acme/Some-New-Model-8B") is None
