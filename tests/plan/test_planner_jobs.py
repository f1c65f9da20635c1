"""Planner tables: jobs (immutable inputs, adoption, failures, --replace, removal, leftovers)."""

from __future__ import annotations

from plan_builders import PROJECT, World, actions, change, desired, job, model, project, step_kinds

from ftops.plan.identity import job_inputs_hash
from ftops.plan.model import Action, AdoptObject, CancelJob, CreateJob, ForgetResource
from ftops.provider.openai.encode import job_request
from ftops.provider.types import JobIdentity
from ftops.resources import META_INPUTS, META_PROJECT, META_RESOURCE


def test_create_job_request_has_dataset_placeholders_and_identity_tags() -> None:
    plan = World(desired()).plan()
    create = change(plan, "jobs.tune").steps[0]
    assert isinstance(create, CreateJob)
    assert create.spec.training_dataset == "train"
    assert create.spec.identity == JobIdentity(PROJECT, "jobs.tune", create.inputs_hash)
    # What the OpenAI adapter sends for it, once the dataset's upload has a file id.
    request = job_request(create.spec, "file-1", None)
    assert request["training_file"] == "file-1"
    assert request["model"] == "gpt-4o-mini-2024-07-18"
    assert request["method"] == {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 3}}}
    assert request["metadata"] == {
        META_PROJECT: PROJECT,
        META_RESOURCE: "jobs.tune",
        META_INPUTS: create.inputs_hash,
    }
    assert create.inputs_hash == job_inputs_hash(job("tune"), desired().content_hashes())
    assert [(c.address, c.training_tokens, c.usd) for c in plan.costs] == [("jobs.tune", 30_000, 1.5)]


def test_job_in_account_is_adopted_after_the_state_was_lost() -> None:
    world = World(desired()).converge()
    world.resources.clear()
    plan = world.plan()
    assert actions(plan) == [("datasets.train", "adopt"), ("jobs.tune", "adopt"), ("models.bot", "create")]
    kinds = [k for _, k in step_kinds(plan)]
    assert "CreateJob" not in kinds and "UploadFile" not in kinds
    assert plan.costs == ()


def test_interrupted_job_create_is_adopted_not_trained_twice() -> None:
    world = World(desired())
    world.upload("train")
    job_id = world.train("tune", status="queued", record=False)
    world.pending("jobs.tune", "job", world.want.inputs_hash(world.want.project.jobs["tune"]))
    plan = world.plan()
    adopt = change(plan, "jobs.tune")
    assert adopt.action is Action.ADOPT and "interrupted" in adopt.reason
    assert isinstance(adopt.steps[0], AdoptObject) and adopt.steps[0].object_id == job_id
    assert plan.in_progress == {"jobs.tune": "queued"}


def test_content_change_retrains_exactly_the_jobs_that_read_it() -> None:
    proj = project(
        datasets=("a", "b"),
        jobs=[job("ja", "a"), job("jb", "b")],
        models=[model("ma", "ja"), model("mb", "jb")],
    )
    world = World(desired(proj)).converge()
    plan = world.plan(desired(proj, contents={"a": "a-v2"}))
    replaced = [k for k, a in actions(plan) if a == "replace"]
    assert replaced == ["datasets.a", "jobs.ja"]
    assert change(plan, "jobs.jb").action is Action.NOOP
    assert change(plan, "models.mb").action is Action.NOOP
    assert change(plan, "models.ma").action is Action.UPDATE
    assert [c.address for c in plan.costs] == ["jobs.ja"]


def test_hyperparameter_change_replaces_the_job_with_a_field_diff() -> None:
    world = World(desired()).converge()
    plan = world.plan(desired(project(jobs=[job("tune", n_epochs=4)])))
    replace = change(plan, "jobs.tune")
    assert replace.action is Action.REPLACE and replace.reason == "inputs changed: train a new job"
    assert replace.before is not None and replace.after is not None
    assert replace.before["method"]["supervised"]["hyperparameters"]["n_epochs"] == 3
    assert replace.after["method"]["supervised"]["hyperparameters"]["n_epochs"] == 4
    assert [type(s).__name__ for s in replace.steps] == ["CreateJob"]  # the old job finished


def test_replacing_a_running_job_cancels_it() -> None:
    world = World(desired())
    world.upload("train")
    old = world.train("tune", status="running")
    plan = world.plan(desired(project(jobs=[job("tune", suffix="v2")])))
    replace = change(plan, "jobs.tune")
    assert [type(s).__name__ for s in replace.steps] == ["CreateJob", "CancelJob"]
    assert replace.steps[1] == CancelJob("jobs.tune", old)
    assert f"cancel {old} (running)" in replace.reason


def test_failed_job_is_shown_with_its_error_and_not_retried() -> None:
    world = World(desired())
    world.upload("train")
    world.train("tune", status="failed", error="bad")
    plan = world.plan()
    assert actions(plan) == []
    noop = change(plan, "jobs.tune")
    assert "invalid_file: Line 3 is not valid" in noop.reason and "--replace jobs.tune" in noop.reason
    assert any("not retried" in w for w in plan.warnings)
    assert any("jobs.tune failed" in w for w in plan.warnings)  # the model name says why it waits


def test_replace_flag_retrains_a_failed_job_and_names_what_it_supersedes() -> None:
    world = World(desired())
    world.upload("train")
    failed = world.train("tune", status="failed", error="bad")
    plan = world.plan(replaces=frozenset({"jobs.tune"}))
    replace = change(plan, "jobs.tune")
    assert replace.action is Action.REPLACE and replace.reason.startswith("--replace")
    create = replace.steps[0]
    assert isinstance(create, CreateJob) and create.supersedes == (failed,)
    assert change(plan, "models.bot").action is Action.CREATE


def test_adopting_after_lost_state_keeps_a_failed_job_failed() -> None:
    world = World(desired())
    world.upload("train")
    world.train("tune", status="failed", error="bad", record=False)
    plan = world.plan()
    assert change(plan, "jobs.tune").action is Action.ADOPT
    assert "CreateJob" not in [k for _, k in step_kinds(plan)]


def test_removed_running_job_is_cancelled_then_forgotten_and_finished_one_just_forgotten() -> None:
    proj = project(jobs=[job("tune"), job("extra")], models=[model("bot", "tune")])
    world = World(desired(proj))
    world.upload("train")
    world.train("tune")
    running = world.train("extra", status="running")
    world.promote("bot")
    plan = world.plan(desired(project()))
    assert change(plan, "jobs.extra").steps == (
        CancelJob("jobs.extra", running),
        ForgetResource("jobs.extra"),
    )
    world.finish(running, "succeeded")
    plan = world.plan(desired(project()))
    assert change(plan, "jobs.extra").steps == (ForgetResource("jobs.extra"),)
    assert "jobs cannot be deleted" in change(plan, "jobs.extra").reason


def test_leftover_running_job_with_stale_inputs_is_cancelled() -> None:
    # State lost while a job trained on content that has changed since: that job is ours
    # (tagged) but serves nothing the manifests want.
    world = World(desired(contents={"train": "train-v0"}))
    world.upload("train", record=False)
    stale = world.train("tune", status="running", record=False)
    world.want = desired()
    plan = world.plan()
    create = change(plan, "jobs.tune")
    assert create.action is Action.CREATE
    assert CancelJob("jobs.tune", stale) in create.steps


def test_unfinished_job_is_listed_in_progress() -> None:
    world = World(desired())
    world.upload("train")
    world.train("tune", status="running")
    plan = world.plan()
    assert plan.in_progress == {"jobs.tune": "running"}
    assert change(plan, "jobs.tune").reason == "in progress (running)"


def test_job_cancelled_outside_ftops_is_drift_and_not_retried() -> None:
    world = World(desired())
    world.upload("train")
    job_id = world.train("tune", status="running")
    world.finish(job_id, "cancelled")
    plan = world.plan()
    assert [(d.address, d.message) for d in plan.drift] == [
        ("jobs.tune", f"job {job_id} was cancelled outside ftops")
    ]
    assert "CreateJob" not in [k for _, k in step_kinds(plan)]


def test_rollback_to_earlier_inputs_adopts_the_earlier_job_instead_of_training() -> None:
    world = World(desired()).converge()
    first_model = world.model_record("bot").model_id  # type: ignore[union-attr]
    world.want = desired(project(jobs=[job("tune", n_epochs=5)]))
    world.train("tune")
    world.promote("bot")
    world.want = desired()
    plan = world.plan()
    assert change(plan, "jobs.tune").action is Action.REPLACE
    assert isinstance(change(plan, "jobs.tune").steps[0], AdoptObject)
    assert change(plan, "models.bot").after["model_id"] == first_model  # type: ignore[index]
    assert plan.costs == ()


def test_renaming_a_dataset_uploads_under_the_new_name_but_does_not_retrain() -> None:
    world = World(desired()).converge()
    renamed = desired(
        project(datasets=("corpus",), jobs=[job("tune", "corpus")]), contents={"corpus": "train-v1"}
    )
    plan = world.plan(renamed)
    assert change(plan, "jobs.tune").action is Action.NOOP
    assert change(plan, "datasets.corpus").action is Action.CREATE
    assert change(plan, "datasets.train").action is Action.DELETE
    assert plan.costs == ()
