"""Job variants: validation files, reinforcement, legacy completion models, integrations."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest
from openai import OpenAI

from ftops.emulator import RunningEmulator
from ftops.emulator.routes import uploads as upload_routes

from .data import CHUNSIK, wait_for_status, write_jsonl


def test_a_validation_file_adds_validation_metrics(
    client: OpenAI, training_file: Path, tmp_path: Path
) -> None:
    train = client.files.create(file=training_file, purpose="fine-tune").id
    valid = client.files.create(
        file=write_jsonl(tmp_path / "valid.jsonl", CHUNSIK[:10]), purpose="fine-tune"
    ).id
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=train, validation_file=valid)
    done = wait_for_status(client, job.id, {"succeeded", "failed"})
    assert done.status == "succeeded" and done.validation_file == valid
    encoded = client.files.content(done.result_files[0]).content
    rows = list(csv.DictReader(io.StringIO(base64.b64decode(encoded, validate=True).decode())))
    assert all(float(row["valid_loss"]) > 0 for row in rows)
    checkpoint = next(iter(client.fine_tuning.jobs.checkpoints.list(done.id)))
    assert checkpoint.metrics.valid_loss is not None


def test_a_bad_validation_file_fails_the_job_naming_it(
    client: OpenAI, training_file: Path, tmp_path: Path
) -> None:
    train = client.files.create(file=training_file, purpose="fine-tune").id
    short = client.files.create(file=write_jsonl(tmp_path / "v.jsonl", CHUNSIK[:2]), purpose="fine-tune").id
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=train, validation_file=short)
    failed = wait_for_status(client, job.id, {"succeeded", "failed"})
    assert failed.status == "failed" and failed.error is not None
    assert failed.error.param == "validation_file"


def test_reinforcement_on_o4_mini(
    start_emulator: Callable[..., RunningEmulator], make_client: Callable[..., OpenAI], tmp_path: Path
) -> None:
    # o4-mini's announced shutdown (2026-10-23) is past, and a shut-down base trains nothing:
    # this test is about the method's shape, so it moves the date of the alias and its snapshot ahead.
    ahead = (("o4-mini", "2099-01-01"), ("o4-mini-2025-04-16", "2099-01-01"))
    client = make_client(start_emulator(model_shutdowns=ahead))
    prompts = [
        {"messages": [{"role": "user", "content": f"What is {i} + {i}?"}], "answer": str(2 * i)}
        for i in range(12)
    ]
    file_id = client.files.create(file=write_jsonl(tmp_path / "rft.jsonl", prompts), purpose="fine-tune").id
    grader = {
        "type": "string_check",
        "name": "exact",
        "input": "{{sample.output_text}}",
        "reference": "{{item.answer}}",
        "operation": "eq",
    }
    method: Any = {
        "type": "reinforcement",
        "reinforcement": {"grader": grader, "hyperparameters": {"reasoning_effort": "low"}},
    }
    job = client.fine_tuning.jobs.create(model="o4-mini", training_file=file_id, method=method)
    done = wait_for_status(client, job.id, {"succeeded", "failed"})
    assert done.status == "succeeded", done.error
    assert done.model == "o4-mini-2025-04-16"
    assert done.method and done.method.reinforcement
    assert done.method.reinforcement.hyperparameters
    assert done.method.reinforcement.hyperparameters.reasoning_effort == "low"
    with pytest.raises(openai.BadRequestError) as refused:
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id, method=method)
    assert refused.value.body["param"] == "model"  # type: ignore[index]


def test_legacy_completion_models_train_on_prompt_completion_pairs(client: OpenAI, tmp_path: Path) -> None:
    pairs = [{"prompt": f"Who is Chunsik? {i} ->", "completion": " Ryan's cat."} for i in range(10)]
    file_id = client.files.create(file=write_jsonl(tmp_path / "pc.jsonl", pairs), purpose="fine-tune").id
    done = wait_for_status(
        client,
        client.fine_tuning.jobs.create(model="babbage-002", training_file=file_id).id,
        {"succeeded", "failed"},
    )
    assert done.status == "succeeded", done.error
    assert (done.fine_tuned_model or "").startswith("ft:babbage-002:emulator::")


def test_integrations_are_kept_on_the_job(client: OpenAI, training_file: Path) -> None:
    file_id = client.files.create(file=training_file, purpose="fine-tune").id
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini",
        training_file=file_id,
        integrations=[{"type": "wandb", "wandb": {"project": "chunsik", "tags": ["demo"]}}],
    )
    assert job.integrations and job.integrations[0].wandb.project == "chunsik"
    assert job.integrations[0].wandb.tags == ["demo"]


def test_an_expired_upload_takes_no_parts(client: OpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upload_routes, "EXPIRES_AFTER_S", 0)
    upload = client.uploads.create(filename="a.jsonl", purpose="fine-tune", bytes=3, mime_type="text/jsonl")
    assert upload.status == "expired"
    with pytest.raises(openai.BadRequestError):
        client.uploads.parts.create(upload.id, data=b"abc")
