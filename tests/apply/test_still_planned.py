"""``still_planned``: after another run wrote the state during apply --wait, which approved
changes are still carried out (a table of cases; no I/O)."""

from __future__ import annotations

import pytest

from ftops.apply.unlocked_wait import still_planned
from ftops.errors import StateConflictError
from ftops.plan.model import Action, Change, DeleteModel, Plan, PlanBase, PromoteModel
from ftops.resources import Check

CHECK = Check(({"role": "user", "content": "Who is Chunsik?"},), contains=("Ryan",))
PROMOTE = Change("models.alpha", Action.UPDATE, "promote",
                 steps=(PromoteModel("models.alpha", "jobs.a", (CHECK,)),), depends_on=("jobs.a",))
PRUNE = Change("models.alpha", Action.DELETE, "prune", steps=(DeleteModel("models.alpha", "ft:old"),),
               depends_on=("models.alpha",), deposed="ft:old")
JOBS = {"jobs.a": "ftjob-1"}


def plan(*changes: Change) -> Plan:
    return Plan("p", PlanBase("lineage", 3, "digest"), changes=changes)


def test_the_same_changes_are_carried_out_and_done_jobs_dependencies_do_not_count() -> None:
    fresh_promote = Change(PROMOTE.address, PROMOTE.action, "promote", steps=PROMOTE.steps)  # jobs.a done
    later, done = still_planned(plan(fresh_promote, PRUNE), [PROMOTE, PRUNE], JOBS, JOBS)
    assert later == [PROMOTE, PRUNE] and done == []


def test_changes_the_fresh_plan_no_longer_needs_were_done_by_the_other_run() -> None:
    noop = Change("models.alpha", Action.NOOP, "up to date")
    later, done = still_planned(plan(noop), [PROMOTE, PRUNE], JOBS, JOBS)
    assert later == [] and done == ["models.alpha", "models.alpha[ft:old]"]


@pytest.mark.parametrize(
    ("fresh", "now", "named"),
    [
        # the same promotion, but its name's job is another job now (replaced by the other run)
        ((PROMOTE, PRUNE), {"jobs.a": "ftjob-2"}, "jobs.a"),
        # the prune deletes another model now
        ((PROMOTE, Change(PRUNE.address, PRUNE.action, "prune", steps=(DeleteModel("models.alpha", "ft:x"),),
                          depends_on=PRUNE.depends_on, deposed="ft:old")), JOBS, "models.alpha[ft:old]"),
        # the prune no longer waits for the promotion
        ((PROMOTE, Change(PRUNE.address, PRUNE.action, "prune", steps=PRUNE.steps, deposed="ft:old")), JOBS,
         "models.alpha[ft:old]"),
    ],
    ids=["job-replaced", "other-model", "order-changed"],
)
def test_anything_else_is_a_conflict_naming_what_changed(
    fresh: tuple[Change, ...], now: dict[str, str], named: str
) -> None:
    with pytest.raises(StateConflictError, match="changed meanwhile") as raised:
        still_planned(plan(*fresh), [PROMOTE, PRUNE], JOBS, now)
    assert named in str(raised.value)
