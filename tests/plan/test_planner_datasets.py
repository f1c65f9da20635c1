"""Planner tables: datasets (upload, adopt, replace, drift, removal, orphans, duplicates)."""

from __future__ import annotations

from plan_builders import PROJECT, World, actions, change, desired, job, project, step_kinds

from ftops.plan.identity import upload_filename
from ftops.plan.model import Action, AdoptObject, CancelJob, DeleteFile, ForgetResource, UploadFile
from ftops.plan.observed import ObservedFile


def test_create_from_nothing_uploads_trains_and_promotes_in_dependency_order() -> None:
    plan = World(desired()).plan()
    assert actions(plan) == [("datasets.train", "create"), ("jobs.tune", "create"), ("models.bot", "create")]
    upload = change(plan, "datasets.train").steps[0]
    assert isinstance(upload, UploadFile)
    assert upload.filename == upload_filename(PROJECT, "train", desired().datasets["train"].content_hash)
    assert upload.path == "/project/datasets/train.jsonl"
    assert change(plan, "jobs.tune").depends_on == ("datasets.train",)
    assert change(plan, "models.bot").depends_on == ("jobs.tune",)
    assert plan.base.state_serial == 3


def test_converged_project_plans_no_changes() -> None:
    plan = World(desired()).converge().plan()
    assert not plan.has_changes
    assert [c.action for c in plan.changes] == [Action.NOOP] * 3
    assert plan.drift == () and plan.warnings == ()


def test_file_in_account_but_not_in_state_is_adopted_not_uploaded_again() -> None:
    world = World(desired())
    file_id = world.upload("train", record=False)
    plan = world.plan()
    adopt = change(plan, "datasets.train")
    assert adopt.action is Action.ADOPT
    assert adopt.steps == (AdoptObject("datasets.train", "file", file_id, adopt.steps[0].record),)  # type: ignore[union-attr]
    assert adopt.steps[0].record["file_id"] == file_id  # type: ignore[union-attr]
    assert "UploadFile" not in [k for _, k in step_kinds(plan)]
    assert change(plan, "jobs.tune").depends_on == ("datasets.train",)


def test_interrupted_upload_is_adopted_and_the_reason_says_so() -> None:
    world = World(desired())
    filename = upload_filename(PROJECT, "train", world.want.datasets["train"].content_hash)
    world.pending("datasets.train", "file", filename)
    world.upload("train", record=False)
    reason = change(world.plan(), "datasets.train").reason
    assert "interrupted" in reason and "adopt" in reason


def test_interrupted_upload_that_never_arrived_is_uploaded() -> None:
    world = World(desired())
    world.pending("datasets.train", "file", "whatever.jsonl")
    assert change(world.plan(), "datasets.train").action is Action.CREATE


def test_content_change_replaces_upload_then_deletes_the_old_file() -> None:
    world = World(desired()).converge()
    old = world.dataset_record("train")
    assert old is not None
    plan = world.plan(desired(contents={"train": "train-v2"}))
    replace = change(plan, "datasets.train")
    assert replace.action is Action.REPLACE and "content changed" in replace.reason
    assert isinstance(replace.steps[0], UploadFile)
    retire = change(plan, f"datasets.train[{old.file_id}]")
    assert retire.steps == (DeleteFile("datasets.train", old.file_id),)
    assert retire.depends_on == ("datasets.train",)  # create before destroy


def test_file_deleted_outside_ftops_is_drift_and_uploaded_again_without_retraining() -> None:
    world = World(desired()).converge()
    rec = world.dataset_record("train")
    assert rec is not None
    del world.files[rec.file_id]
    plan = world.plan()
    assert [d.address for d in plan.drift] == ["datasets.train"]
    assert "deleted outside ftops" in plan.drift[0].message
    assert actions(plan) == [("datasets.train", "create")]  # same content: the job is not retrained


def test_removed_dataset_waits_for_the_cancel_of_the_job_that_reads_it() -> None:
    want = desired(project(datasets=("train", "extra"), jobs=[job("tune"), job("side", "extra")]))
    world = World(want)
    world.upload("train")
    extra_file = world.upload("extra")
    world.train("tune")
    side = world.train("side", status="running")
    world.promote("bot")
    plan = world.plan(desired(project()))
    cancel = change(plan, "jobs.side")
    assert cancel.action is Action.DELETE
    assert cancel.steps == (CancelJob("jobs.side", side), ForgetResource("jobs.side"))
    delete = change(plan, "datasets.extra")
    assert delete.steps == (DeleteFile("datasets.extra", extra_file), ForgetResource("datasets.extra"))
    assert delete.depends_on == ("jobs.side",)


def test_removed_dataset_is_kept_while_an_untargeted_job_still_reads_it() -> None:
    want = desired(project(datasets=("train", "extra"), jobs=[job("tune"), job("side", "extra")]))
    world = World(want)
    world.upload("train")
    world.upload("extra")
    world.train("tune")
    world.train("side", status="running")
    world.promote("bot")
    plan = world.plan(desired(project()), targets=frozenset({"datasets.extra"}))
    assert actions(plan) == []
    assert any("datasets.extra is left out: it waits for jobs.side" in w for w in plan.warnings)


def test_duplicate_uploads_adopt_the_oldest_and_delete_the_rest() -> None:
    world = World(desired())
    first = world.upload("train", record=False)
    second = world.upload("train", record=False)
    plan = world.plan()
    assert change(plan, "datasets.train").steps[0].object_id == first  # type: ignore[union-attr]
    assert change(plan, f"datasets.train[{second}]").steps == (DeleteFile("datasets.train", second),)


def test_orphan_upload_of_an_older_content_is_deleted_but_other_projects_files_are_not() -> None:
    world = World(desired(contents={"train": "train-v0"}))
    orphan = world.upload("train", record=False)  # a crash right after the upload, then an edit
    world.want = desired()
    world.files["file-other"] = ObservedFile(
        "file-other", "ftops-acme-two--train--0123456789ab.jsonl", 10, "fine-tune", "processed", 1
    )
    world.files["file-user"] = ObservedFile("file-user", "my-data.jsonl", 10, "fine-tune", "processed", 1)
    plan = world.plan()
    assert ("datasets.train", "create") in actions(plan)
    assert (f"datasets.train[{orphan}]", "delete") in actions(plan)
    deleted = {s.file_id for c in plan.changes for s in c.steps if isinstance(s, DeleteFile)}
    assert deleted == {orphan}


def test_forced_replace_of_a_dataset_uploads_again_and_names_what_it_supersedes() -> None:
    world = World(desired()).converge()
    rec = world.dataset_record("train")
    assert rec is not None
    plan = world.plan(replaces=frozenset({"datasets.train"}))
    upload = change(plan, "datasets.train").steps[0]
    assert isinstance(upload, UploadFile) and upload.supersedes == (rec.file_id,)
    # Same content: the job's inputs did not change, so it is not retrained.
    assert change(plan, "jobs.tune").action is Action.NOOP


def test_removed_dataset_read_only_by_finished_jobs_is_deleted_at_once() -> None:
    want = desired(project(datasets=("train", "extra"), jobs=[job("tune"), job("side", "extra")]))
    world = World(want).converge()
    plan = world.plan(desired(project(), usd=None), targets=frozenset({"datasets.extra"}))
    removal = change(plan, "datasets.extra")
    assert removal.depends_on == () and removal.action is Action.DELETE


def test_intent_for_a_resource_no_longer_declared_is_forgotten_and_its_upload_deleted() -> None:
    world = World(desired(project(datasets=("train", "gone"))))
    filename = upload_filename(PROJECT, "gone", world.want.datasets["gone"].content_hash)
    world.pending("datasets.gone", "file", filename)
    orphan = world.upload("gone", record=False)
    world.want = desired()
    plan = world.plan()
    assert change(plan, "datasets.gone").steps == (ForgetResource("datasets.gone"),)
    assert change(plan, f"datasets.gone[{orphan}]").steps == (DeleteFile("datasets.gone", orphan),)


def test_forced_upload_also_retires_earlier_duplicates_in_the_same_apply() -> None:
    world = World(desired())
    first = world.upload("train")
    duplicate = world.upload("train", record=False)
    plan = world.plan(replaces=frozenset({"datasets.train"}))
    assert (f"datasets.train[{first}]", "delete") in actions(plan)
    assert (f"datasets.train[{duplicate}]", "delete") in actions(plan)
    assert change(plan, f"datasets.train[{duplicate}]").depends_on == ("datasets.train",)
