"""Adoption after a lost state: the account alone says which jobs are the project's.

``list_jobs(project)`` returns every job of the project with the identity ftops gave it. Where
the identity is stored as tags, all of it, and no other project's job (even one whose name
starts the same). Where it is derived (``JobIdentityStore.DERIVED``) and the service's names do
not say the project, the jobs that may be the project's come with project "" and a digest:
``JobIdentity.carries`` must then tell the project's jobs from any other, which is what the
planner relies on."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftops import errors
from ftops.emulator import RunningEmulator
from ftops.plan.observed import ObservedFile, ObservedJob
from ftops.provider.base import FineTuningProvider
from ftops.provider.types import JobIdentity, JobIdentityStore

from .subjects import Subject
from .support import INPUTS_HASH, job_spec, upload, write_dataset

OTHER_HASH = "d00d" * 16


def assert_lists_as_the_projects(
    provider: FineTuningProvider, project: str, listed: tuple[ObservedJob, ...],
    mine: dict[str, JobIdentity],
) -> None:
    """``listed`` (``list_jobs(project)``) holds each of ``mine`` carrying its identity, and nothing
    that could pass for the project's: another job is listed only under an unknown project (a
    derived identity), and carries none of the project's identities."""
    derived = provider.capabilities.identity_store is JobIdentityStore.DERIVED
    by_id = {job.id: job for job in listed}
    assert set(mine) <= set(by_id), sorted(set(mine) - set(by_id))
    for job_id, identity in mine.items():
        seen = by_id[job_id].identity
        assert seen is not None and seen.carries(identity), seen
        assert derived or seen == identity, seen
    for job in listed:
        assert job.identity is not None and job.identity.project in (project, "" if derived else project)
        if job.id not in mine:
            assert derived and job.identity.project == "", job
            assert not any(job.identity.carries(identity) for identity in mine.values()), job


def test_list_jobs_returns_the_projects_jobs_with_their_identity_and_no_others(
    subject: Subject, provider: FineTuningProvider, project: str, tmp_path: Path,
) -> None:
    neighbour = project + "-x"  # a project whose name starts with this one's
    specs = [job_spec(project, subject.base_model, "jobs.a"),
             job_spec(project, subject.base_model, "jobs.b", OTHER_HASH),
             job_spec(neighbour, subject.base_model, "jobs.a")]
    made = {}
    for spec in specs:
        file = upload(provider, spec.identity.project, "train",
                      write_dataset(tmp_path / f"{spec.identity.project}.jsonl", spec.identity.project))
        made[provider.create_job(spec, file.id, None).id] = spec.identity

    for who in (project, neighbour):
        theirs = {job_id: identity for job_id, identity in made.items() if identity.project == who}
        assert_lists_as_the_projects(provider, who, provider.list_jobs(who), theirs)
    # What a plan reads when it only needs recent jobs: every job created since then, at least.
    listed = provider.list_jobs(project)
    since = min(job.created_at for job in listed)
    assert {job.id for job in listed} <= {job.id for job in provider.list_jobs(project, since)}
    # The look a lost create makes finds its own job only, not its sibling's (other inputs).
    found = provider.find_job(specs[0].identity)
    assert [made[job.id] for job in found] == [specs[0].identity]
    assert all(job.identity is not None and not job.identity.carries(specs[1].identity) for job in found)


def test_a_project_with_no_jobs_lists_none_of_its_own(provider: FineTuningProvider, project: str) -> None:
    assert_lists_as_the_projects(provider, project, provider.list_jobs(project), {})
    assert provider.find_job(JobIdentity(project, "jobs.a", INPUTS_HASH)) == ()


@pytest.fixture
def shared_bytes(provider: FineTuningProvider, project: str, tmp_path: Path) -> ObservedFile:
    """This project's upload of bytes a neighbour project uploaded first. A service that keeps one
    file per content (Together) answers it with the neighbour's file, under the neighbour's name."""
    data = write_dataset(tmp_path / "shared.jsonl", f"{project}: the same bytes in two projects")
    upload(provider, project + "-first", "train", data)
    return upload(provider, project, "train", data)


def test_a_lost_create_on_bytes_another_project_uploaded_first_is_found_once(
    subject: Subject, emulator: RunningEmulator, provider: FineTuningProvider, project: str,
    shared_bytes: ObservedFile,
) -> None:
    spec = job_spec(project, subject.base_model)
    before = subject.count_jobs(emulator)
    emulator.set_faults(f"[POST {subject.job_create_path}] seq:drop-after")
    with pytest.raises(errors.OutcomeUnknownError):
        provider.create_job(spec, shared_bytes.id, None)
    assert len(provider.find_job(spec.identity)) == 1
    assert subject.count_jobs(emulator) == before + 1


def test_a_job_on_bytes_another_project_uploaded_first_is_listed_as_the_projects(
    subject: Subject, provider: FineTuningProvider, project: str, shared_bytes: ObservedFile,
) -> None:
    """After a lost state, such a job must still be the project's (else a plan trains it again)."""
    spec = job_spec(project, subject.base_model)
    created = provider.create_job(spec, shared_bytes.id, None)
    assert_lists_as_the_projects(provider, project, provider.list_jobs(project), {created.id: spec.identity})
