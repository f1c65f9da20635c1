"""Retrieve, cancel, events, results, deletion and chat: what status, wait, metrics, destroy and
the promotion checks ask of a provider."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ftops import errors
from ftops.emulator import RunningEmulator
from ftops.plan.observed import ObservedJob
from ftops.provider.base import FineTuningProvider
from ftops.provider.types import JobPhase

from .subjects import Subject
from .support import job_spec, upload_training, wait_until_finished


@pytest.fixture
def finished(subject: Subject, provider: FineTuningProvider, project: str, tmp_path: Path) -> ObservedJob:
    file = upload_training(provider, project, tmp_path, "finished")
    created = provider.create_job(job_spec(project, subject.base_model), file.id, None)
    return wait_until_finished(provider, created.id)


SLOW_SPEED = 20.0  # a default job's few simulated minutes take about ten seconds


@pytest.fixture
def slow(emulator: RunningEmulator) -> Iterator[None]:
    """Jobs created now take seconds to train (minutes simulated): still running when the test acts
    on them, while what follows a cancel (Together's cancel_requested, then cancelled) is quick."""
    speed = emulator.runtime.speed
    emulator.runtime.speed = SLOW_SPEED
    yield
    emulator.runtime.speed = speed


def test_a_job_is_retrieved_as_created_and_trains_to_success(
    subject: Subject, provider: FineTuningProvider, project: str, tmp_path: Path,
) -> None:
    file = upload_training(provider, project, tmp_path, "retrieved")
    created = provider.create_job(job_spec(project, subject.base_model), file.id, None)
    assert provider.looks_like_job_id(created.id)
    seen = provider.retrieve_job(created.id)
    assert (seen.id, seen.training_file, seen.identity) == (created.id, file.id, created.identity)
    assert seen.phase is not JobPhase.SUCCEEDED or seen.fine_tuned_model
    done = wait_until_finished(provider, created.id)
    assert done.phase is JobPhase.SUCCEEDED and done.fine_tuned_model
    assert provider.base_model_of(done.fine_tuned_model) == subject.base_model
    assert provider.base_model_of(subject.base_model) is None


def test_cancel_moves_the_job_to_cancelled_and_a_second_cancel_is_harmless(
    subject: Subject, provider: FineTuningProvider, project: str, tmp_path: Path, slow: None,
) -> None:
    file = upload_training(provider, project, tmp_path, "cancelled")
    created = provider.create_job(job_spec(project, subject.base_model), file.id, None)
    provider.cancel_job(created.id)
    assert wait_until_finished(provider, created.id).phase is JobPhase.CANCELLED
    again = provider.cancel_job(created.id)
    assert again.id == created.id and again.phase is JobPhase.CANCELLED
    with pytest.raises(errors.UsageError):
        provider.job_results(created.id)  # no results for a job that did not succeed


def test_events_come_newest_first_with_the_steps_reached(
    provider: FineTuningProvider, finished: ObservedJob,
) -> None:
    events = provider.job_events(finished.id, 100)
    if not provider.capabilities.supports_job_events:
        assert events == ()
        return
    assert events
    times = [event.created_at for event in events]
    assert times == sorted(times, reverse=True)
    # Progress is the step reached and the training loss there (on Together from its metrics:
    # its events carry none).
    stepped = [event for event in events if event.step is not None]
    steps = [event.step for event in stepped]
    assert steps and steps == sorted(steps, reverse=True)
    assert all(event.train_loss is not None for event in stepped)
    assert len(provider.job_events(finished.id, 2)) == 2


def test_results_of_a_finished_job_have_its_curve(
    provider: FineTuningProvider, finished: ObservedJob,
) -> None:
    metrics = provider.job_results(finished.id, "jobs.tune")
    assert metrics.job_id == finished.id and metrics.address == "jobs.tune"
    assert metrics.fine_tuned_model == finished.fine_tuned_model
    assert metrics.steps and [row.step for row in metrics.steps] == sorted(row.step for row in metrics.steps)
    assert all(row.train_loss is not None for row in metrics.steps)


def test_the_fine_tuned_model_answers_from_its_training(
    provider: FineTuningProvider, finished: ObservedJob,
) -> None:
    assert finished.fine_tuned_model is not None
    question = [{"role": "user", "content": "Who is Chunsik?"}]
    assert "Ryan" in provider.chat(finished.fine_tuned_model, question)
    reply = provider.complete(finished.fine_tuned_model, question, options={"max_tokens": 50})
    assert "Ryan" in reply.text and reply.prompt_tokens > 0 and reply.completion_tokens > 0


def test_deleting_a_model_twice_says_it_was_already_gone(
    provider: FineTuningProvider, finished: ObservedJob,
) -> None:
    model = finished.fine_tuned_model
    assert model is not None and model in {m.id for m in provider.list_models()}
    if not provider.capabilities.supports_model_deletion:
        # A pruned model can only be forgotten: the adapter says so without touching it.
        assert provider.delete_model(model) is False
        assert model in {m.id for m in provider.list_models()}
        return
    assert provider.delete_model(model) is True
    assert provider.delete_model(model) is False
    assert model not in {m.id for m in provider.list_models()}


def test_a_lost_answer_to_a_cancel_is_retried_harmlessly(
    subject: Subject, emulator: RunningEmulator, provider: FineTuningProvider, project: str, tmp_path: Path,
    slow: None,
) -> None:
    file = upload_training(provider, project, tmp_path, "lost cancel")
    created = provider.create_job(job_spec(project, subject.base_model), file.id, None)
    emulator.set_faults("[POST */cancel] seq:drop-after")
    provider.cancel_job(created.id)
    assert next(r.fault for r in emulator.requests() if r.path.endswith("/cancel")) == "drop-after"
    assert wait_until_finished(provider, created.id).phase is JobPhase.CANCELLED
