"""Crash at every step, at the planner level: an apply dies right after its k-th mutating
request took effect and before its result reached the state; planning and applying again must
converge with no duplicate upload and no job trained twice. (The end-to-end version of this
test, with SIGKILL and the emulator, belongs to the executor's suite.)"""

from __future__ import annotations

from collections import Counter

import pytest
from plan_builders import PROJECT, World, actions, desired, job, model, project
from plan_simulator import Crash, simulate_apply

from ftops.plan.desired import Desired
from ftops.plan.identity import upload_filename
from ftops.resources import META_INPUTS, META_RESOURCE

PROJ = project(
    datasets=("a", "b", "c"),
    jobs=[job("ja", "a"), job("jb", "b", "a"), job("jc", "c")],
    models=[model("ma", "ja"), model("mb", "jb", keep_previous=1)],
)
EDITED = project(
    datasets=("a", "b", "c"),
    jobs=[job("ja", "a"), job("jb", "b", "a", n_epochs=5), job("jc", "c")],
    models=[model("ma", "ja"), model("mb", "jb", keep_previous=1)],
)


def _start(scenario: str) -> tuple[World, Desired]:
    world = World(desired(PROJ))
    if scenario == "from nothing":
        return world, desired(PROJ)
    simulate_apply(world, world.plan())
    return world, desired(EDITED, contents={"a": "a-v2"})


def _requests_of_full_apply(scenario: str) -> int:
    world, want = _start(scenario)
    world.want = want
    return len(simulate_apply(world, world.plan(want)))


def _assert_no_duplicates(world: World, want: Desired) -> None:
    ours = Counter(f.filename for f in world.files.values() if f.filename.startswith(f"ftops-{PROJECT}--"))
    assert ours == Counter(upload_filename(PROJECT, n, fp.content_hash) for n, fp in want.datasets.items())
    trained = Counter(
        (j.metadata[META_RESOURCE], j.metadata[META_INPUTS])
        for j in world.jobs.values()
        if j.status == "succeeded"
    )
    assert max(trained.values()) == 1, trained
    for spec in want.project.jobs.values():
        assert trained[(spec.address, want.inputs_hash(spec))] == 1
    for name in want.project.models:
        rec = world.model_record(name)
        assert rec is not None and rec.model_id in world.models


@pytest.mark.parametrize("scenario", ["from nothing", "edit"])
def test_crash_after_each_mutating_request_converges_without_duplicates(scenario: str) -> None:
    total = _requests_of_full_apply(scenario)
    assert total >= 5
    for k in range(1, total + 1):
        world, want = _start(scenario)
        world.want = want
        with pytest.raises(Crash):
            simulate_apply(world, world.plan(want), crash_after=k)
        for _ in range(3):
            plan = world.plan(want)
            if not plan.has_changes:
                break
            simulate_apply(world, plan)
        assert actions(world.plan(want)) == [], f"k={k}"
        _assert_no_duplicates(world, want)


def test_two_crashes_in_a_row_still_converge() -> None:
    world, want = _start("edit")
    world.want = want
    with pytest.raises(Crash):
        simulate_apply(world, world.plan(want), crash_after=2)
    with pytest.raises(Crash):
        simulate_apply(world, world.plan(want), crash_after=1)
    simulate_apply(world, world.plan(want))
    assert actions(world.plan(want)) == []
    _assert_no_duplicates(world, want)
