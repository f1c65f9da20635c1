"""Planner: jobs a service keeps only a digest of the identity for (no job metadata: Together),
read back as ``JobIdentity("", None, "", digest)`` and given their full identity by the planner."""

from __future__ import annotations

from dataclasses import replace

from plan_builders import PROJECT, World, actions, desired, step_kinds

from ftops.plan.model import CancelJob
from ftops.provider.types import JobIdentity, identity_digest


def _derived(identity: JobIdentity) -> JobIdentity:
    """What an adapter without job metadata reads back for a job created with ``identity``."""
    assert identity.resource is not None
    digest = identity_digest(identity.project, identity.resource, identity.inputs_hash)
    return JobIdentity("", None, "", digest)


def _as_derived(world: World) -> World:
    for job_id, job in world.jobs.items():
        assert job.identity is not None
        world.jobs[job_id] = replace(job, identity=_derived(job.identity), metadata={})
    return world


def test_a_job_known_by_its_digest_is_adopted_after_the_state_was_lost() -> None:
    world = _as_derived(World(desired()).converge())
    world.resources.clear()
    plan = world.plan()
    assert actions(plan) == [("datasets.train", "adopt"), ("jobs.tune", "adopt"), ("models.bot", "create")]
    assert "CreateJob" not in [k for _, k in step_kinds(plan)]


def test_an_interrupted_create_known_by_its_digest_is_adopted_not_trained_twice() -> None:
    world = World(desired())
    world.upload("train")
    world.train("tune", status="queued", record=False)
    _as_derived(world)
    world.pending("jobs.tune", "job", world.want.inputs_hash(world.want.project.jobs["tune"]))
    assert ("jobs.tune", "adopt") in actions(world.plan())


def test_a_running_job_no_known_identity_fits_is_not_cancelled_as_an_orphan() -> None:
    """Another project's job (or one nothing knows): its digest names no identity of this project."""
    world = World(desired()).converge()
    stranger = world.train("tune", status="running", record=False)
    other = replace(world.jobs[stranger].identity or JobIdentity(PROJECT, None, ""), project="other-project")
    world.jobs[stranger] = replace(world.jobs[stranger], identity=_derived(other), metadata={})
    plan = world.plan()
    cancels = [s for c in plan.changes for s in c.steps if isinstance(s, CancelJob)]
    assert cancels == [] and not plan.has_changes


def test_with_full_identities_the_same_running_job_would_be_cancelled() -> None:
    """The contrast: a job tagged with this project's identity, for a resource nothing declares."""
    world = World(desired()).converge()
    orphan = world.train("tune", status="running", record=False)
    world.jobs[orphan] = replace(world.jobs[orphan], identity=JobIdentity(PROJECT, "jobs.gone", "x" * 64))
    cancels = [s for c in world.plan().changes for s in c.steps if isinstance(s, CancelJob)]
    assert [c.job_id for c in cancels] == [orphan]
