"""The jobs listing's watermark: when a refresh may stop early, and what it lets the state keep."""

from __future__ import annotations

from dataclasses import replace

import pytest
from plan_builders import World, desired, job, project

from ftops.plan.listing import (
    WATERMARK_MARGIN_SECONDS,
    job_listing_since,
    needs_full_job_listing,
    next_job_watermark,
)
from ftops.plan.observed import Observed
from ftops.plan.options import PlanOptions
from ftops.plan.planner import make_plan
from ftops.plan.records import StateRecords, read_records, record_json
from ftops.state import new_snapshot


def _converged() -> World:
    world = World(desired()).converge()
    # A real record keeps the job's creation time (bookkeeping.job_record); the builder's does not.
    for name in world.want.project.jobs:
        rec = world.job_record(name)
        assert rec is not None
        created = world.jobs[rec.job_id].created_at
        world.resources[f"jobs.{name}"] = record_json(replace(rec, created_at=created))
    return world


def _records(world: World) -> StateRecords:
    return read_records(new_snapshot("acme").with_resources(world.resources))


def test_a_converged_project_reads_only_down_to_the_watermark() -> None:
    world = _converged()
    assert needs_full_job_listing(world.want, _records(world), PlanOptions()) is None
    assert job_listing_since(world.want, _records(world), 1_600_000_000, PlanOptions()) == 1_600_000_000


def test_no_watermark_reads_everything() -> None:
    world = _converged()
    assert job_listing_since(world.want, _records(world), None, PlanOptions()) is None


@pytest.mark.parametrize(
    ("options", "why"),
    [
        (PlanOptions(destroy=True), "destroy"),
        (PlanOptions(refresh_only=True), "refresh-only"),
        (PlanOptions(replaces=frozenset({"jobs.tune"})), "--replace jobs.tune"),
    ],
)
def test_options_about_the_whole_account_read_everything(options: PlanOptions, why: str) -> None:
    world = _converged()
    assert needs_full_job_listing(world.want, _records(world), options) == why
    assert job_listing_since(world.want, _records(world), 1_600_000_000, options) is None


def test_a_new_or_changed_job_reads_everything_so_adoption_sees_old_jobs() -> None:
    world = _converged()
    grown = desired(project(jobs=[job("tune"), job("tune2")]))
    assert needs_full_job_listing(grown, _records(world), PlanOptions()) == "jobs.tune2 has no record"
    changed = desired(project(jobs=[job("tune", n_epochs=5)]))
    assert needs_full_job_listing(changed, _records(world), PlanOptions()) == "jobs.tune changed"
    assert job_listing_since(changed, _records(world), 1_600_000_000, PlanOptions()) is None


def test_a_pending_create_reads_everything() -> None:
    world = _converged()
    world.pending("jobs.tune", "job", "abc")
    why = needs_full_job_listing(world.want, _records(world), PlanOptions())
    assert why == "an interrupted create is pending"


def test_the_listing_reaches_back_to_the_oldest_unfinished_recorded_job() -> None:
    world = _converged()
    rec = world.job_record("tune")
    assert rec is not None
    world.resources["jobs.tune"] = record_json(replace(rec, status="running", created_at=1_500_000_000))
    assert job_listing_since(world.want, _records(world), 1_600_000_000, PlanOptions()) == 1_500_000_000
    # An unfinished job whose creation time the record lacks: only the whole listing finds it.
    world.resources["jobs.tune"] = record_json(replace(rec, status="running", created_at=None))
    assert job_listing_since(world.want, _records(world), 1_600_000_000, PlanOptions()) is None


def test_next_watermark_stays_behind_the_newest_job_and_any_unfinished_one() -> None:
    world = World(desired()).converge()
    newest = max(j.created_at for j in world.jobs.values())
    observed = Observed(jobs=world.jobs)
    assert next_job_watermark(observed) == newest - WATERMARK_MARGIN_SECONDS
    running = world.train("tune", status="running")
    assert next_job_watermark(Observed(jobs=world.jobs)) == (
        world.jobs[running].created_at - WATERMARK_MARGIN_SECONDS
    )
    # A job still running since long ago holds the watermark back: it must be listed next time.
    old = replace(world.jobs[running], id="ftjob-old", created_at=1_000)
    assert next_job_watermark(Observed(jobs={**world.jobs, old.id: old})) == 1_000


def test_next_watermark_without_jobs_keeps_what_the_listing_started_from() -> None:
    assert next_job_watermark(Observed()) is None
    assert next_job_watermark(Observed(jobs_since=1_234)) == 1_234


def test_the_planner_refuses_a_partial_listing_when_it_may_need_to_adopt() -> None:
    world = World(desired())  # nothing recorded: every job may be adopted from any age
    with pytest.raises(RuntimeError, match="partial jobs listing"):
        make_plan(world.want, world.state(), Observed(jobs_since=1_000), PlanOptions())


def test_a_finished_recorded_job_missing_from_a_partial_listing_is_not_drift() -> None:
    world = _converged()
    rec = world.job_record("tune")
    assert rec is not None and rec.created_at is not None
    # The listing stopped above the finished job: the record speaks for it.
    observed = Observed(files=world.files, jobs={}, models=world.models, jobs_since=rec.created_at + 1)
    plan = make_plan(world.want, world.state(), observed, PlanOptions())
    assert not plan.has_changes
    assert plan.drift == ()
