"""A job is created once under each crash point of its create request: an answer lost after
the work (the emulator's ``drop-after``), a connection dropped or a 5xx before the work, a 429
with Retry-After. ``create_job`` raises ``OutcomeUnknownError`` only when the job may exist,
``find_job`` then finds exactly it, and the emulator's store never holds a second one."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftops import errors
from ftops.emulator import RunningEmulator
from ftops.plan.observed import ObservedFile
from ftops.provider.base import FineTuningProvider
from ftops.provider.retry import RetryPolicy

from .subjects import Subject
from .support import job_spec, sent, upload_training


@pytest.fixture
def training(provider: FineTuningProvider, project: str, tmp_path: Path) -> ObservedFile:
    return upload_training(provider, project, tmp_path, "jobs")


def test_a_lost_answer_after_the_job_was_made_is_found_exactly_once(
    subject: Subject, emulator: RunningEmulator, provider: FineTuningProvider, project: str,
    training: ObservedFile,
) -> None:
    before = subject.count_jobs(emulator)
    spec = job_spec(project, subject.base_model)
    emulator.set_faults(f"[POST {subject.job_create_path}] seq:drop-after")
    with pytest.raises(errors.OutcomeUnknownError) as caught:
        provider.create_job(spec, training.id, None)
    assert "\n" not in str(caught.value)
    assert sent(emulator, subject.job_create_path) == ["drop-after"]  # sent once, never blindly again
    assert subject.count_jobs(emulator) == before + 1
    found = provider.find_job(spec.identity)
    assert len(found) == 1
    assert found[0].training_file == training.id and found[0].model == subject.base_model
    assert provider.find_job(spec.identity, frozenset({found[0].id})) == ()


@pytest.mark.parametrize("fault", ["500", "drop"])
def test_a_create_refused_before_the_work_is_unknown_to_the_client_and_finds_nothing(
    fault: str, subject: Subject, emulator: RunningEmulator, provider: FineTuningProvider, project: str,
    training: ObservedFile,
) -> None:
    """A 5xx, or a connection dropped once the request was sent: the client cannot tell whether
    the work was done, so the outcome is unknown; a look finds nothing and a new create makes one."""
    before = subject.count_jobs(emulator)
    spec = job_spec(project, subject.base_model)
    emulator.set_faults(f"[POST {subject.job_create_path}] seq:{fault}")
    with pytest.raises(errors.OutcomeUnknownError):
        provider.create_job(spec, training.id, None)
    assert sent(emulator, subject.job_create_path) == [fault]
    assert provider.find_job(spec.identity) == ()
    assert subject.count_jobs(emulator) == before
    created = provider.create_job(spec, training.id, None)  # what the executor does after the look
    assert [job.id for job in provider.find_job(spec.identity)] == [created.id]
    assert subject.count_jobs(emulator) == before + 1


def test_a_429_is_retried_after_the_wait_it_asks_and_makes_one_job(
    subject: Subject, emulator: RunningEmulator, provider: FineTuningProvider, retry: RetryPolicy,
    project: str, training: ObservedFile,
) -> None:
    before = subject.count_jobs(emulator)
    spec = job_spec(project, subject.base_model)
    emulator.set_faults(f"[POST {subject.job_create_path}] seq:429, retry-after:1.5s")
    created = provider.create_job(spec, training.id, None)
    assert retry.waits == [1.5]
    assert sent(emulator, subject.job_create_path) == ["429", None]
    assert subject.count_jobs(emulator) == before + 1
    assert [job.id for job in provider.find_job(spec.identity)] == [created.id]


def test_a_refused_connection_is_retried_even_for_a_create(
    subject: Subject, unreachable: FineTuningProvider, retry: RetryPolicy, project: str,
) -> None:
    """Nothing reached the service, so trying again cannot make a second job: the error is the
    service being unreachable, never an unknown outcome."""
    with pytest.raises(errors.ServiceError) as caught:
        unreachable.create_job(job_spec(project, subject.base_model), "file-never-uploaded", None)
    assert not isinstance(caught.value, errors.OutcomeUnknownError)
    assert "could not reach" in str(caught.value) and "\n" not in str(caught.value)
    assert len(retry.waits) == retry.attempts - 1
