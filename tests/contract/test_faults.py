"""Fault injection, each kind seen through the SDK: 429, 500, latency, drop, drop-after."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from openai import OpenAI

from ftops.emulator import RunningEmulator


def _faulty(
    start_emulator: Any, make_client: Any, tmp_path: Path, spec: str, retries: int = 0
) -> tuple[RunningEmulator, OpenAI]:
    emulator = start_emulator(faults=spec, data_dir=tmp_path / "faulty")
    return emulator, make_client(emulator, max_retries=retries)


def test_429_carries_retry_after_and_the_sdk_retries(
    start_emulator: Any, make_client: Any, tmp_path: Path
) -> None:
    emulator, client = _faulty(start_emulator, make_client, tmp_path, "[GET /v1/models] seq:429,429,ok")
    with pytest.raises(openai.RateLimitError) as limited:
        client.models.list()
    assert limited.value.response.headers["Retry-After"] == "0"
    assert limited.value.response.headers["retry-after-ms"] == "50"
    assert limited.value.body["code"] == "rate_limit_exceeded"  # type: ignore[index]
    patient = client.with_options(max_retries=2)
    assert len(patient.models.list().data) > 0  # the second 429, then ok
    assert [r.status for r in emulator.requests()] == [429, 429, 200]
    assert [r.fault for r in emulator.requests()] == ["429", "429", None]


def test_500_is_an_internal_server_error(start_emulator: Any, make_client: Any, tmp_path: Path) -> None:
    _, client = _faulty(start_emulator, make_client, tmp_path, "500:1.0")
    with pytest.raises(openai.InternalServerError) as failed:
        client.files.list()
    assert failed.value.status_code == 500


def test_latency_delays_only_the_scoped_route(start_emulator: Any, make_client: Any, tmp_path: Path) -> None:
    emulator, client = _faulty(start_emulator, make_client, tmp_path, "[GET /v1/models] latency:500ms")
    client.files.list()
    client.models.list()
    files, models = emulator.requests()
    assert files.duration_s < 0.5 <= models.duration_s
    assert (files.fault, models.fault) == (None, "latency")


def test_drop_closes_the_connection_before_the_work(
    start_emulator: Any, make_client: Any, tmp_path: Path, training_file: Path
) -> None:
    emulator, client = _faulty(start_emulator, make_client, tmp_path, "[POST /v1/files] seq:drop")
    with pytest.raises(openai.APIConnectionError):
        client.files.create(file=training_file, purpose="fine-tune")
    assert client.files.list().data == []  # nothing was created
    assert emulator.requests()[0].status == 0 and emulator.requests()[0].fault == "drop"
    assert client.files.create(file=training_file, purpose="fine-tune").id  # the sequence is spent


def test_drop_after_does_the_work_and_loses_the_answer(
    start_emulator: Any, make_client: Any, tmp_path: Path, training_file: Path
) -> None:
    _, client = _faulty(start_emulator, make_client, tmp_path, "[POST /v1/fine_tuning/jobs] seq:drop-after")
    file_id = client.files.create(file=training_file, purpose="fine-tune").id
    with pytest.raises(openai.APIConnectionError):
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id, metadata={"try": "1"})
    jobs = client.fine_tuning.jobs.list().data
    assert len(jobs) == 1 and jobs[0].metadata == {"try": "1"}  # created, though the caller never heard


def test_a_retrying_client_creates_twice_after_a_lost_answer(
    start_emulator: Any, make_client: Any, tmp_path: Path, training_file: Path
) -> None:
    # Why ftops tags its jobs: the SDK's own retry after a lost response makes a duplicate.
    _, client = _faulty(
        start_emulator, make_client, tmp_path, "[POST /v1/fine_tuning/jobs] seq:drop-after", retries=1
    )
    file_id = client.files.create(file=training_file, purpose="fine-tune").id
    client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id)
    assert len(client.fine_tuning.jobs.list().data) == 2


def test_seeded_probabilities_are_repeatable(start_emulator: Any, make_client: Any, tmp_path: Path) -> None:
    outcomes = []
    for run in range(2):
        emulator = start_emulator(faults="500:0.5,seed:11", data_dir=tmp_path / f"run{run}")
        http = httpx2.Client(base_url=emulator.base_url, headers={"Authorization": "Bearer k"})
        outcomes.append([http.get("/models").status_code for _ in range(30)])
        http.close()
    assert outcomes[0] == outcomes[1]
    assert set(outcomes[0]) == {200, 500}


def test_faults_can_be_changed_while_running(emulator: RunningEmulator, client: OpenAI) -> None:
    admin = emulator.root_url + "/_emulator/faults"
    assert httpx2.put(admin, json={"spec": "429:1"}).status_code == 200
    assert httpx2.get(admin).json() == {"spec": "429:1"}
    with pytest.raises(openai.RateLimitError):
        client.models.list()
    refused = httpx2.put(admin, json={"spec": "teapot:1"})
    assert refused.status_code == 400 and "teapot" in refused.json()["error"]["message"]
    emulator.set_faults(None)
    assert client.models.list().data


def test_faulted_requests_take_the_time_they_say(
    start_emulator: Any, make_client: Any, tmp_path: Path
) -> None:
    _, client = _faulty(start_emulator, make_client, tmp_path, "latency:0.1s:1.0")
    started = time.monotonic()
    client.models.list()
    assert time.monotonic() - started >= 0.1
