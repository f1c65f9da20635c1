"""Property (hypothesis): whatever the state and the account look like (records lost, objects
deleted outside ftops, jobs in any status, interrupted creates), the planner either refuses
with an FtopsError or returns a plan that can be executed in order, never deletes a protected
model, and never deletes an upload an unfinished job still reads before that job is cancelled."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from plan_builders import World, desired, job, model, project

from ftops.errors import FtopsError
from ftops.plan.model import CancelJob, DeleteFile, DeleteModel
from ftops.plan.order import execution_order
from ftops.plan.records import read_records

PROJ = project(
    datasets=("a", "b"),
    jobs=[job("ja", "a"), job("jb", "b", "a")],
    models=[model("ma", "ja", protect=True), model("mb", "jb", keep_previous=1)],
)
STATUSES = ["validating_files", "queued", "running", "succeeded", "failed", "cancelled", "paused"]
ADDRESSES = ["datasets.a", "datasets.b", "jobs.ja", "jobs.jb", "models.ma", "models.mb"]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    world = World(desired(PROJ))
    for name in ("a", "b"):
        if draw(st.booleans()):
            world.upload(name, record=draw(st.booleans()))
    for name in ("ja", "jb"):
        if draw(st.booleans()):
            world.train(name, status=draw(st.sampled_from(STATUSES)), record=draw(st.booleans()))
    for name in ("ma", "mb"):
        spec = world.want.project.models[name]
        rec = world.job_record(spec.job)
        if rec is not None and rec.fine_tuned_model and draw(st.booleans()):
            world.promote(name)
    for file_id in list(world.files):
        if draw(st.integers(0, 4)) == 0:
            del world.files[file_id]
    for model_id in [m for m in world.models if m.startswith("ft:")]:
        if draw(st.integers(0, 4)) == 0:
            del world.models[model_id]
    if draw(st.booleans()):
        world.pending(draw(st.sampled_from(ADDRESSES[:4])), "file", "x")
    # Then the manifests move on: new content, new hyperparameters, fewer resources.
    world.want = desired(
        project(
            datasets=("a", "b"),
            jobs=[job("ja", "a", n_epochs=draw(st.sampled_from([3, 4]))), job("jb", "b", "a")],
            models=[model("ma", "ja", protect=draw(st.booleans()))]
            + ([model("mb", "jb", keep_previous=1)] if draw(st.booleans()) else []),
        ),
        contents={"a": draw(st.sampled_from(["a-v1", "a-v2"]))},
    )
    return world


@settings(max_examples=300, deadline=None)
@given(
    worlds(),
    st.booleans(),
    st.frozensets(st.sampled_from(ADDRESSES), max_size=2),
    st.frozensets(st.sampled_from(ADDRESSES[:4]), max_size=1),
)
def test_any_account_and_state_give_a_safe_executable_plan(
    world: World, destroy: bool, targets: frozenset[str], replaces: frozenset[str]
) -> None:
    try:
        plan = world.plan(destroy=destroy, targets=targets, replaces=replaces)
    except FtopsError:
        return
    ordered = execution_order(plan.changes)
    protected = {
        m
        for r in read_records(world.resources).models.values()
        if r.protect
        for m in (r.model_id, *r.previous)
    }
    cancelled: set[str] = set()
    for change in ordered:
        for step in change.steps:
            if isinstance(step, CancelJob):
                cancelled.add(step.job_id)
            if isinstance(step, DeleteModel):
                assert step.model_id not in protected, change
            if isinstance(step, DeleteFile):
                readers = {
                    j.id
                    for j in world.jobs.values()
                    if j.status not in ("succeeded", "failed", "cancelled")
                    and step.file_id in (j.training_file, j.validation_file)
                }
                assert readers <= cancelled, (change, readers)
