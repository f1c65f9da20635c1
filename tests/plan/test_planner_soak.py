"""Property (hypothesis): any sequence of manifest edits, each applied (sometimes interrupted
by a crash at a random request), converges: after each round a second plan has nothing to do,
the state holds what the account holds, and nothing was uploaded or trained twice."""

from __future__ import annotations

import contextlib
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st
from plan_builders import PROJECT, World, actions, desired, job, model, project
from plan_simulator import Crash, simulate_apply

from ftops.plan.desired import Desired
from ftops.plan.identity import upload_filename
from ftops.plan.records import read_records
from ftops.resources import META_INPUTS, META_RESOURCE

Shape = tuple[tuple[int, int, int], tuple[int, int, int], bool, int, bool]
# (content versions of a, b, c), (epochs of ja, jb, jc), with c/jc, keep_previous of mb, with mb


def _desired(shape: Shape) -> Desired:
    versions, epochs, with_c, keep, with_mb = shape
    datasets = ["a", "b"] + (["c"] if with_c else [])
    jobs = [job("ja", "a", n_epochs=epochs[0]), job("jb", "b", "a", n_epochs=epochs[1])]
    if with_c:
        jobs.append(job("jc", "c", n_epochs=epochs[2]))
    models = [model("ma", "ja")] + ([model("mb", "jb", keep_previous=keep)] if with_mb else [])
    contents = {name: f"{name}-v{versions[i]}" for i, name in enumerate(["a", "b", "c"]) if name in datasets}
    return desired(project(datasets=datasets, jobs=jobs, models=models), contents=contents)


SHAPES = st.tuples(
    st.tuples(*[st.integers(0, 2)] * 3),
    st.tuples(*[st.integers(1, 3)] * 3),
    st.booleans(),
    st.integers(0, 2),
    st.booleans(),
)


def _check(world: World, want: Desired) -> None:
    assert actions(world.plan(want)) == []
    ours = Counter(f.filename for f in world.files.values() if f.filename.startswith(f"ftops-{PROJECT}--"))
    assert ours == Counter(upload_filename(PROJECT, n, fp.content_hash) for n, fp in want.datasets.items())
    # Retraining is legitimate only when the earlier job's model was pruned since.
    trained = Counter(
        (j.metadata[META_RESOURCE], j.metadata[META_INPUTS])
        for j in world.jobs.values()
        if j.status == "succeeded" and j.fine_tuned_model in world.models
    )
    assert max(trained.values(), default=0) <= 1, trained
    records = read_records(world.resources)
    assert set(records.datasets) == set(want.project.datasets)
    assert set(records.jobs) == set(want.project.jobs)
    assert set(records.models) == set(want.project.models)
    assert all(r.file_id in world.files for r in records.datasets.values())
    kept = {m for r in records.models.values() for m in (r.model_id, *r.previous)}
    # (the state learns a job's model at the next apply's refresh; the account knows it now)
    kept |= {world.jobs[r.job_id].fine_tuned_model for r in records.jobs.values()} - {None}
    assert {m for m in world.models if m.startswith("ft:")} <= kept


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(SHAPES, st.integers(0, 6)), min_size=1, max_size=6))
def test_random_edit_sequences_converge(rounds: list[tuple[Shape, int]]) -> None:
    world = World(_desired(rounds[0][0]))
    for shape, crash_at in rounds:
        want = _desired(shape)
        world.want = want
        if crash_at:
            with contextlib.suppress(Crash):
                simulate_apply(world, world.plan(want), crash_after=crash_at)
        for _ in range(3):
            plan = world.plan(want)
            if not plan.has_changes:
                break
            simulate_apply(world, plan)
        _check(world, want)
