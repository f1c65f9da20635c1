"""Models "made by hand" (planted: trained outside ftops, no ftops tags) and the service's refusal
to give training files back, through the real SDK; the plant-model command as a user runs it."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx2
import openai
import pytest
from openai import OpenAI

from ftops.emulator import RunningEmulator

from .data import CHUNSIK, write_jsonl

PlantModel = Callable[..., dict[str, str]]
HAND_MADE = re.compile(r"ft:gpt-4o-mini-2024-07-18:emulator:chunsik:[A-Za-z0-9]{8}")


def test_a_planted_model_looks_trained_by_hand_long_ago(
    emulator: RunningEmulator, client: OpenAI, training_file: Path, plant_model: PlantModel
) -> None:
    planted = plant_model(emulator, training_file, base="gpt-4o-mini", suffix="chunsik")
    model = planted["model"]
    assert HAND_MADE.fullmatch(model), model
    assert client.models.retrieve(model).owned_by == "org-emulator"

    job = client.fine_tuning.jobs.retrieve(planted["job_id"])
    assert job.status == "succeeded" and job.fine_tuned_model == model
    assert job.model == "gpt-4o-mini-2024-07-18" and job.user_provided_suffix == "chunsik"
    assert job.metadata is None  # none of ftops's tags
    assert job.training_file == planted["training_file"] and job.trained_tokens
    assert job.finished_at is not None and job.finished_at <= time.time() - 1
    training = client.files.retrieve(job.training_file)
    assert training.purpose == "fine-tune" and training.created_at < job.created_at
    # Listed among jobs without metadata, not among any project's.
    untagged = client.get("/fine_tuning/jobs", cast_to=object, options={"params": {"metadata": "null"}})
    assert [j["id"] for j in untagged["data"]] == [job.id]  # type: ignore[index]
    tagged = client.fine_tuning.jobs.list(metadata={"ftops_project": "kakao-friends"})
    assert list(tagged) == []

    (result,) = job.result_files
    assert base64.b64decode(client.files.content(result).content).startswith(b"step,train_loss")
    events = [e.message for e in client.fine_tuning.jobs.list_events(job.id, limit=100)]
    assert events[0] == "The job has successfully completed"
    assert list(client.fine_tuning.jobs.checkpoints.list(job.id))
    answer = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "What does Chunsik like to eat?"}], temperature=0
    )
    assert answer.choices[0].message.content == "Chunsik loves sweet potatoes."


def test_a_model_made_before_the_cutoff_is_planted_after_it(
    emulator: RunningEmulator,
    client: OpenAI,
    training_file: Path,
    plant_model: PlantModel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FTOPS_TODAY", "2027-01-10")  # no job creates since 2027-01-06
    planted = plant_model(emulator, training_file, n_epochs=2)
    assert client.fine_tuning.jobs.retrieve(planted["job_id"]).hyperparameters.n_epochs == 2
    with pytest.raises(openai.PermissionDeniedError):
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=planted["training_file"])


def test_planting_refuses_what_the_service_would_not_have_trained(
    emulator: RunningEmulator, client: OpenAI, tmp_path: Path
) -> None:
    route = emulator.root_url + "/_emulator/planted_models"
    good = client.files.create(file=write_jsonl(tmp_path / "good.jsonl", CHUNSIK), purpose="fine-tune").id
    short = client.files.create(
        file=write_jsonl(tmp_path / "short.jsonl", CHUNSIK[:3]), purpose="fine-tune"
    ).id
    typo = httpx2.post(route, json={"model": "gpt-4o-mnii", "training_file": good})
    assert typo.status_code == 400 and typo.json()["error"]["param"] == "model"
    invalid = httpx2.post(route, json={"model": "gpt-4o-mini", "training_file": short})
    assert invalid.status_code == 400 and "at least 10 examples" in invalid.json()["error"]["message"]
    missing = httpx2.post(route, json={"training_file": good})
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "model"
    assert (
        list(client.fine_tuning.jobs.list()) == []
        and [m for m in client.models.list() if m.id.startswith("ft:")] == []
    )


def test_plant_model_command_on_the_folder_of_a_running_server(
    start_emulator: Callable[..., RunningEmulator],
    make_client: Callable[..., OpenAI],
    training_file: Path,
    tmp_path: Path,
) -> None:
    data = tmp_path / "shared"
    client = make_client(start_emulator(data_dir=data))
    command = [
        sys.executable,
        "-m",
        "ftops",
        "emulator",
        "plant-model",
        "--data",
        str(data),
        "--base",
        "gpt-4o-mini-2024-07-18",
        "--training-file",
        str(training_file),
        "--suffix",
        "chunsik",
    ]
    done = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    planted = json.loads(done.stdout)
    assert HAND_MADE.fullmatch(planted["model"])
    assert client.models.retrieve(planted["model"]).id == planted["model"]  # the server sees it at once
    assert client.fine_tuning.jobs.retrieve(planted["job_id"]).status == "succeeded"

    bad = subprocess.run(
        [*command[:-4], "--training-file", str(tmp_path / "absent.jsonl")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [
        f"Error: --training-file {tmp_path / 'absent.jsonl'}: no such file."
    ]


def test_training_file_downloads_can_be_refused_as_the_service_does(
    start_emulator: Callable[..., RunningEmulator],
    make_client: Callable[..., OpenAI],
    training_file: Path,
    plant_model: PlantModel,
) -> None:
    emulator = start_emulator(refuse_training_downloads=True)
    client = make_client(emulator)
    planted = plant_model(emulator, training_file)
    with pytest.raises(openai.BadRequestError) as refused:
        client.files.content(planted["training_file"])
    assert refused.value.body == {  # the service's words, type and nulls
        "type": "invalid_request_error",
        "message": "Not allowed to download files of purpose: fine-tune",
        "param": None,
        "code": None,
    }
    # The file is still listed and retrieved, and the job's result file still downloads.
    assert client.files.retrieve(planted["training_file"]).purpose == "fine-tune"
    (result,) = client.fine_tuning.jobs.retrieve(planted["job_id"]).result_files
    assert client.files.content(result).content

    switch = emulator.root_url + "/_emulator/training_downloads"
    assert httpx2.put(switch, json={"refuse": False}).status_code == 200
    assert client.files.content(planted["training_file"]).content == training_file.read_bytes()
    assert httpx2.put(switch, json={"refuse": "yes"}).status_code == 400
    assert httpx2.put(switch, json={"refuse": True}).status_code == 200
    with pytest.raises(openai.BadRequestError):
        client.files.content(planted["training_file"])
