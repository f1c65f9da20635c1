"""Cancel, pause and resume; and a job that keeps its place across an emulator restart."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import openai
import pytest
from openai import OpenAI

from .data import wait_for_status

SLOW = 150.0  # the test job runs ~2.6 s here: room to act while it runs, even on a busy machine


@pytest.fixture
def slow(start_emulator: Any, make_client: Any, tmp_path: Path) -> OpenAI:
    client: OpenAI = make_client(start_emulator(speed=SLOW, data_dir=tmp_path / "slow"))
    return client


def _running_job(client: OpenAI, training_file: Path) -> str:
    file_id = client.files.create(file=training_file, purpose="fine-tune").id
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id)
    assert wait_for_status(client, job.id, {"running"}).status == "running"
    return job.id


def test_cancel_stops_a_job_for_good(slow: OpenAI, training_file: Path) -> None:
    job_id = _running_job(slow, training_file)
    cancelled = slow.fine_tuning.jobs.cancel(job_id)
    assert cancelled.status == "cancelled"
    time.sleep(0.1)
    after = slow.fine_tuning.jobs.retrieve(job_id)
    assert after.status == "cancelled" and after.fine_tuned_model is None
    assert "Fine-tuning job cancelled" in [e.message for e in slow.fine_tuning.jobs.list_events(job_id)]
    with pytest.raises(openai.BadRequestError):
        slow.fine_tuning.jobs.cancel(job_id)
    with pytest.raises(openai.NotFoundError):
        slow.fine_tuning.jobs.cancel("ftjob-missing")


def test_pause_freezes_progress_and_resume_continues(slow: OpenAI, training_file: Path) -> None:
    job_id = _running_job(slow, training_file)
    with pytest.raises(openai.BadRequestError):
        slow.fine_tuning.jobs.resume(job_id)  # not paused
    paused = slow.fine_tuning.jobs.pause(job_id)
    assert str(paused.status) == "pausing"  # a status the spec (and the SDK's Literal) leave out
    assert str(wait_for_status(slow, job_id, {"paused"}).status) == "paused"
    events_while_paused = len(list(slow.fine_tuning.jobs.list_events(job_id, limit=100)))
    time.sleep(0.3)  # 45 simulated seconds: ~15 steps if it were running
    assert str(slow.fine_tuning.jobs.retrieve(job_id).status) == "paused"
    assert len(list(slow.fine_tuning.jobs.list_events(job_id, limit=100))) == events_while_paused
    with pytest.raises(openai.BadRequestError):
        slow.fine_tuning.jobs.pause(job_id)  # already paused
    resumed = slow.fine_tuning.jobs.resume(job_id)
    assert resumed.status == "running"
    done = wait_for_status(slow, job_id, {"succeeded", "failed"})
    assert done.status == "succeeded"
    messages = [e.message for e in slow.fine_tuning.jobs.list_events(job_id, limit=100)]
    assert "Fine-tuning job paused" in messages and "Fine-tuning job resumed" in messages


def test_pause_refuses_a_finished_job(client: OpenAI, training_file: Path) -> None:
    file_id = client.files.create(file=training_file, purpose="fine-tune").id
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id)
    wait_for_status(client, job.id, {"succeeded"})
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.pause(job.id)


def test_data_survives_a_restart_and_the_job_moves_on(
    start_emulator: Any, make_client: Any, tmp_path: Path, training_file: Path
) -> None:
    data_dir = tmp_path / "kept"
    first = start_emulator(speed=SLOW, data_dir=data_dir)
    client = make_client(first)
    file_id = client.files.create(file=training_file, purpose="fine-tune").id
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id, metadata={"k": "v"})
    before = wait_for_status(client, job.id, {"queued", "running"}).status
    first.stop()

    second = start_emulator(speed=SLOW, data_dir=data_dir)
    assert second.port != 0
    again = make_client(second)
    assert again.files.retrieve(file_id).filename == "chunsik.jsonl"
    assert again.files.content(file_id).content == training_file.read_bytes()
    resumed = again.fine_tuning.jobs.retrieve(job.id)
    assert resumed.metadata == {"k": "v"}
    assert resumed.status in ("queued", "running", "succeeded") and before in ("queued", "running")
    done = wait_for_status(again, job.id, {"succeeded", "failed"})
    assert done.status == "succeeded"
    assert done.fine_tuned_model in [m.id for m in again.models.list()]


def test_two_servers_on_one_folder_share_the_jobs(
    start_emulator: Any, make_client: Any, tmp_path: Path, training_file: Path
) -> None:
    # As two ftops processes on one project would: both read and advance the same SQLite store.
    first = make_client(start_emulator(speed=SLOW, data_dir=tmp_path / "shared"))
    second = make_client(start_emulator(speed=SLOW, data_dir=tmp_path / "shared"))
    file_id = first.files.create(file=training_file, purpose="fine-tune").id
    job = first.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id)
    deadline = time.monotonic() + 10
    status = job.status
    while status not in ("succeeded", "failed") and time.monotonic() < deadline:
        # Both advance the job in turn; neither may write an event twice.
        status = (
            (first if int(time.monotonic() * 50) % 2 else second).fine_tuning.jobs.retrieve(job.id).status
        )
    assert status == "succeeded"
    seen_by_first = [e.id for e in first.fine_tuning.jobs.list_events(job.id, limit=100)]
    seen_by_second = [e.id for e in second.fine_tuning.jobs.list_events(job.id, limit=100)]
    assert seen_by_first == seen_by_second and len(set(seen_by_first)) == len(seen_by_first)
    messages = [e.message for e in first.fine_tuning.jobs.list_events(job.id, limit=100)]
    assert messages.count("The job has successfully completed") == 1
    assert (
        second.fine_tuning.jobs.retrieve(job.id).fine_tuned_model
        == first.fine_tuning.jobs.retrieve(job.id).fine_tuned_model
    )
    assert len(list(second.files.list(purpose="fine-tune-results"))) == 1
