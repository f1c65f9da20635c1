"""Plan, apply (simulated, records written through ftops.plan.bookkeeping), plan again: the
second plan must say nothing is left, and the account must hold no duplicate."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from plan_builders import PROJECT, World, actions, desired, job, model, project
from plan_simulator import simulate_apply

from ftops.plan.desired import Desired
from ftops.plan.identity import upload_filename
from ftops.resources import META_RESOURCE

TWO = project(
    datasets=("a", "b"),
    jobs=[job("ja", "a"), job("jb", "b", "a")],
    models=[model("ma", "ja"), model("mb", "jb", keep_previous=1)],
)


def _assert_account_matches(world: World, want: Desired) -> None:
    ours = [f for f in world.files.values() if f.filename.startswith(f"ftops-{PROJECT}--")]
    expected = sorted(upload_filename(PROJECT, n, fp.content_hash) for n, fp in want.datasets.items())
    assert sorted(f.filename for f in ours) == expected
    live = [j for j in world.jobs.values() if j.status not in ("succeeded", "failed", "cancelled")]
    assert live == []
    by_address: dict[str, int] = {}
    for j in world.jobs.values():
        if j.status == "succeeded":
            by_address[j.metadata[META_RESOURCE]] = by_address.get(j.metadata[META_RESOURCE], 0) + 1
    held = set()
    for name in want.project.models:
        rec = world.model_record(name)
        assert rec is not None and rec.model_id in world.models
        held |= {rec.model_id, *rec.previous[: want.project.models[name].keep_previous]}
    for name in want.project.jobs:  # a declared job keeps its current model
        rec_job = world.job_record(name)
        if rec_job is not None and rec_job.fine_tuned_model:
            held.add(rec_job.fine_tuned_model)
    fine_tuned = {m for m in world.models if m.startswith("ft:")}
    assert fine_tuned == held


def _converge(world: World, want: Desired, rounds: int = 3) -> list[str]:
    world.want = want
    requests: list[str] = []
    for _ in range(rounds):
        plan = world.plan(want)
        if not plan.has_changes:
            return requests
        requests += simulate_apply(world, plan)
    raise AssertionError(f"not converged after {rounds} applies: {actions(world.plan(want))}")


EDITS: dict[str, Callable[[], Desired]] = {
    "content of a": lambda: desired(TWO, contents={"a": "a-v2"}),
    "content of b": lambda: desired(TWO, contents={"b": "b-v2"}),
    "epochs of ja": lambda: desired(
        project(
            datasets=("a", "b"),
            jobs=[job("ja", "a", n_epochs=7), job("jb", "b", "a")],
            models=[model("ma", "ja"), model("mb", "jb", keep_previous=1)],
        )
    ),
    "drop model mb": lambda: desired(
        project(datasets=("a", "b"), jobs=[job("ja", "a"), job("jb", "b", "a")], models=[model("ma", "ja")])
    ),
    "drop job and dataset b": lambda: desired(
        project(datasets=("a",), jobs=[job("ja", "a")], models=[model("ma", "ja")])
    ),
}


def test_apply_from_nothing_converges_in_one_apply() -> None:
    world = World(desired(TWO))
    requests = _converge(world, desired(TWO))
    assert sorted(requests) == ["create jobs.ja", "create jobs.jb", "upload datasets.a", "upload datasets.b"]
    _assert_account_matches(world, desired(TWO))


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_each_edit_converges_in_one_apply_with_no_duplicate(edit: str) -> None:
    world = World(desired(TWO))
    _converge(world, desired(TWO))
    want = EDITS[edit]()
    world.want = want
    first = world.plan(want)
    simulate_apply(world, first)
    assert actions(world.plan(want)) == [], edit
    _assert_account_matches(world, want)


def test_lost_state_is_rebuilt_by_adoption_with_no_create() -> None:
    world = World(desired(TWO))
    _converge(world, desired(TWO))
    world.resources.clear()
    requests = _converge(world, desired(TWO))
    assert [r for r in requests if r.startswith(("upload", "create"))] == []
    _assert_account_matches(world, desired(TWO))


def test_retrain_while_the_old_job_runs_cancels_it_and_converges() -> None:
    world = World(desired(TWO))
    world.upload("a")
    world.upload("b")
    world.train("ja", status="running")
    world.train("jb")
    world.promote("mb")
    want = desired(TWO, contents={"a": "a-v2"})
    world.want = want
    requests = simulate_apply(world, world.plan(want))
    assert actions(world.plan(want)) == []  # one apply: the old upload went after the cancel
    assert any(r.startswith("cancel ") for r in requests)
    _assert_account_matches(world, want)


def test_destroy_leaves_nothing_but_is_itself_converged() -> None:
    world = World(desired(TWO))
    _converge(world, desired(TWO))
    simulate_apply(world, world.plan(destroy=True))
    assert not world.plan(destroy=True).has_changes
    assert world.resources == {}
    assert [m for m in world.models if m.startswith("ft:")] == []
    assert [f for f in world.files.values() if f.filename.startswith("ftops-")] == []
