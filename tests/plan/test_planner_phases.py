"""The planner tests phases, never a service's status words: a service that says ``completed``
where OpenAI says ``succeeded`` promotes its model all the same, once its adapter says so (and
likewise for files: whether an upload can be trained on is the adapter's reading)."""

from __future__ import annotations

from dataclasses import replace

from plan_builders import World, change, desired, step_kinds

from ftops.plan.model import Action, PromoteModel
from ftops.plan.options import PlanOptions
from ftops.plan.planner import make_plan
from ftops.plan.records import JobRecord, read_records, record_json
from ftops.provider.types import JobPhase


def test_a_job_the_adapter_calls_succeeded_is_promoted_whatever_its_word() -> None:
    world = World(desired())
    world.upload("train")
    job_id = world.train("tune", status="running")
    ft = world.finish(job_id)
    world.jobs[job_id] = replace(world.jobs[job_id], status="completed", reported_phase=JobPhase.SUCCEEDED)
    plan = world.plan()
    promote = change(plan, "models.bot")
    assert promote.action is Action.CREATE
    assert promote.reason == f"promote {ft} (from jobs.tune) once its 1 check passes"
    assert isinstance(promote.steps[0], PromoteModel)


def test_a_job_the_adapter_calls_failed_is_not_retried_whatever_its_word() -> None:
    world = World(desired())
    world.upload("train")
    job_id = world.train("tune", status="running")
    world.jobs[job_id] = replace(world.jobs[job_id], status="user_error", reported_phase=JobPhase.FAILED)
    plan = world.plan()
    assert change(plan, "jobs.tune").action is Action.NOOP
    assert any("not retried" in warning for warning in plan.warnings)
    assert plan.in_progress == {}


def test_statuses_kept_in_the_state_are_read_in_the_services_words() -> None:
    """A finished job the listing no longer shows is no drift; whether it finished is read from
    the recorded word through the service's vocabulary (``Observed.job_phases``)."""
    world = World(desired()).converge()
    record = read_records(world.resources).jobs["tune"]
    world.resources["jobs.tune"] = record_json(
        JobRecord(**{**{f: getattr(record, f) for f in record.__slots__}, "status": "completed"})
    )
    del world.jobs[record.job_id]
    vocabulary = {"completed": JobPhase.SUCCEEDED}
    listed = replace(world.observed(), job_phases=vocabulary)
    plan = make_plan(world.want, world.state(), listed, PlanOptions())
    assert [d for d in plan.drift if d.address == "jobs.tune"] == []
    unknown_word = make_plan(world.want, world.state(), world.observed(), PlanOptions())
    assert [d.message for d in unknown_word.drift if d.address == "jobs.tune"] == [
        f"job {record.job_id} is no longer listed in the account"
    ]


def test_an_upload_the_adapter_calls_unusable_is_never_adopted_whatever_its_word() -> None:
    world = World(desired())
    file_id = world.upload("train", record=False)
    world.files[file_id] = replace(world.files[file_id], status="upload_failed", usable=False)
    plan = world.plan()
    assert change(plan, "datasets.train").action is Action.CREATE
    assert "UploadFile" in [kind for _, kind in step_kinds(plan)]
