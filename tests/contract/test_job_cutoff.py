"""The job cutoff: no job creates from OpenAI's announced day (or the configured one), by the
emulator's clock (FTOPS_TODAY), answered in the service's error shape; models keep serving."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from openai import OpenAI

from ftops.emulator import EmulatorConfig, RunningEmulator

from .data import wait_for_status

Start = Callable[..., RunningEmulator]
MakeClient = Callable[..., OpenAI]
TRAINED = ("gpt-4o-mini", "gpt-4o-mini-2024-07-18")
FAR = tuple((model, "2037-01-01") for model in TRAINED)  # the base outlives every date here


def _refused(client: OpenAI, file_id: str) -> dict[str, Any]:
    with pytest.raises(openai.PermissionDeniedError) as refused:
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id)
    assert refused.value.status_code == 403
    body: Any = refused.value.body
    return dict(body)


def test_the_default_cutoff_is_openais_date(
    start_emulator: Start, make_client: MakeClient, training_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FTOPS_JOB_CUTOFF", raising=False)
    assert EmulatorConfig(data_dir=Path("x")).job_cutoff == "2027-01-06"
    client = make_client(start_emulator(model_shutdowns=FAR))
    file_id = client.files.create(file=training_file, purpose="fine-tune").id

    monkeypatch.setenv("FTOPS_TODAY", "2027-01-05")
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id)
    model = wait_for_status(client, job.id, {"succeeded", "failed"}).fine_tuned_model
    assert model

    monkeypatch.setenv("FTOPS_TODAY", "2027-01-06")
    body = _refused(client, file_id)
    assert body["code"] == "fine_tuning_not_available" and body["type"] == "invalid_request_error"
    assert "2027-01-06" in body["message"] and body["param"] is None
    monkeypatch.setenv("FTOPS_TODAY", "2027-01-07")
    _refused(client, file_id)
    # What was trained before keeps serving; the job stays listed.
    answer = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Who is Chunsik?"}]
    )
    assert answer.choices[0].message.content
    assert [j.id for j in client.fine_tuning.jobs.list()] == [job.id]


def test_a_configured_cutoff_or_none(
    start_emulator: Start,
    make_client: MakeClient,
    training_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FTOPS_TODAY", "2026-12-01")
    early = make_client(start_emulator(job_cutoff="2026-12-01", data_dir=tmp_path / "early"))
    assert (
        "2026-12-01"
        in _refused(early, early.files.create(file=training_file, purpose="fine-tune").id)["message"]
    )

    monkeypatch.setenv("FTOPS_TODAY", "2030-01-01")
    never = make_client(start_emulator(job_cutoff=None, model_shutdowns=FAR, data_dir=tmp_path / "never"))
    file_id = never.files.create(file=training_file, purpose="fine-tune").id
    assert (
        never.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id).status == "validating_files"
    )


def test_ftops_job_cutoff_sets_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTOPS_JOB_CUTOFF", "2026-12-24")
    assert EmulatorConfig(data_dir=Path("x")).job_cutoff == "2026-12-24"
    monkeypatch.setenv("FTOPS_JOB_CUTOFF", "none")
    assert EmulatorConfig(data_dir=Path("x")).job_cutoff is None


def test_the_admin_route_moves_the_cutoff(
    emulator: RunningEmulator, client: OpenAI, training_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FTOPS_TODAY", "2026-11-24")
    file_id = client.files.create(file=training_file, purpose="fine-tune").id
    route = emulator.root_url + "/_emulator/job_cutoff"
    assert httpx2.put(route, json={"job_cutoff": "2026-11-24"}).status_code == 200
    _refused(client, file_id)
    assert httpx2.put(route, json={"job_cutoff": "someday"}).status_code == 400
    assert httpx2.put(route, json={"job_cutoff": None}).status_code == 200
    assert client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id).id


def test_serve_refuses_a_bad_job_cutoff_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ftops", "emulator", "serve", "--job-cutoff", "soon", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: --job-cutoff must be a date like 2027-01-06, or none (got 'soon')."
    ]
