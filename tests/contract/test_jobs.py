"""Fine-tuning jobs: the lifecycle to succeeded or failed, outputs, validation, listing."""

from __future__ import annotations

import base64
import csv
import io
import re
from pathlib import Path
from typing import Any

import openai
import pytest
from openai import OpenAI

from .data import CHUNSIK, wait_for_status, write_jsonl

FT_NAME = re.compile(r"^ft:gpt-4o-mini-2024-07-18:emulator:(?P<suffix>[A-Za-z0-9_-]*):[A-Za-z0-9]{8}$")


@pytest.fixture
def uploaded(client: OpenAI, training_file: Path) -> str:
    return client.files.create(file=training_file, purpose="fine-tune").id


def test_job_runs_to_succeeded_with_its_outputs(client: OpenAI, uploaded: str) -> None:
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini", training_file=uploaded, suffix="chunsik", seed=7, metadata={"team": "a"}
    )
    assert job.status == "validating_files"
    assert job.model == "gpt-4o-mini-2024-07-18"
    assert job.fine_tuned_model is None and job.finished_at is None and job.trained_tokens is None
    assert job.hyperparameters.n_epochs == "auto"

    done = wait_for_status(client, job.id, {"succeeded", "failed"})
    assert done.status == "succeeded", done.error
    match = FT_NAME.match(done.fine_tuned_model or "")
    assert match and match["suffix"] == "chunsik"
    assert done.finished_at is not None and done.finished_at >= done.created_at
    # auto resolved like the service: 12 examples -> enough epochs for ~100 examples seen
    assert (done.hyperparameters.n_epochs, done.hyperparameters.batch_size) == (9, 1)
    assert done.method and done.method.supervised and done.method.supervised.hyperparameters
    assert done.method.supervised.hyperparameters.n_epochs == 9
    assert done.trained_tokens is not None and done.trained_tokens > 0
    assert done.trained_tokens % 9 == 0  # tokens of one pass, times the epochs
    assert done.seed == 7 and done.metadata == {"team": "a"}
    assert done.error is None

    (result_id,) = done.result_files
    result = client.files.retrieve(result_id)
    assert result.purpose == "fine-tune-results"
    assert result.filename == "step_metrics.csv"
    # As the service sends it: the CSV base64-encoded, no newline or header in the clear.
    downloaded = client.files.content(result_id)
    encoded = downloaded.content
    assert not encoded.startswith(b"step") and result.bytes == len(encoded)
    assert downloaded.response.headers["content-type"] == "application/octet-stream"
    rows = list(csv.DictReader(io.StringIO(base64.b64decode(encoded, validate=True).decode())))
    assert list(rows[0]) == [
        "step",
        "train_loss",
        "train_accuracy",
        "valid_loss",
        "valid_mean_token_accuracy",
    ]
    assert len(rows) == 9 * 12  # one row per step: 12 examples, batch 1, 9 epochs
    assert float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])

    events = list(client.fine_tuning.jobs.list_events(done.id, limit=5))  # auto-paged, newest first
    messages = [event.message for event in events]
    assert messages[0] == "The job has successfully completed"
    assert messages[-1] == f"Created fine-tuning job: {done.id}"
    assert any(
        event.type == "metrics" and isinstance(event.data, dict) and "train_loss" in event.data
        for event in events
    )
    assert [e.created_at for e in events] == sorted((e.created_at for e in events), reverse=True)

    checkpoints = list(client.fine_tuning.jobs.checkpoints.list(done.id))
    assert [c.step_number for c in checkpoints] == [108, 96, 84]  # the last three epochs
    for checkpoint in checkpoints:
        assert (
            checkpoint.fine_tuned_model_checkpoint
            == f"{done.fine_tuned_model}:ckpt-step-{checkpoint.step_number}"
        )
        assert checkpoint.metrics.train_loss is not None


def test_no_suffix_leaves_an_empty_segment(client: OpenAI, uploaded: str) -> None:
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=uploaded)
    done = wait_for_status(client, job.id, {"succeeded"})
    match = FT_NAME.match(done.fine_tuned_model or "")
    assert match and match["suffix"] == ""
    assert "::" in (done.fine_tuned_model or "")


def test_job_progresses_through_the_service_states(
    client: OpenAI, start_emulator: Any, make_client: Any, training_file: Path
) -> None:
    slow = make_client(start_emulator(speed=200.0, data_dir=training_file.parent / "slow"))
    file_id = slow.files.create(file=training_file, purpose="fine-tune").id
    job = slow.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id)
    seen = [job.status]
    while seen[-1] not in ("succeeded", "failed"):
        status = slow.fine_tuning.jobs.retrieve(job.id).status
        if status != seen[-1]:
            seen.append(status)
    assert seen == ["validating_files", "queued", "running", "succeeded"]


def test_bad_training_file_fails_the_job_with_the_service_error(client: OpenAI, tmp_path: Path) -> None:
    short = client.files.create(file=write_jsonl(tmp_path / "short.jsonl", CHUNSIK[:4]), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=short.id)
    assert job.status == "validating_files" and job.error is None  # accepted; checked when it starts
    failed = wait_for_status(client, job.id, {"failed", "succeeded"})
    assert failed.status == "failed"
    assert failed.error is not None
    assert failed.error.code == "invalid_n_examples" and failed.error.param == "training_file"
    assert "at least 10" in failed.error.message
    assert failed.fine_tuned_model is None and failed.trained_tokens is None
    assert failed.finished_at is not None

    broken = tmp_path / "broken.jsonl"
    write_jsonl(broken, CHUNSIK)
    broken.write_text(broken.read_text() + "{not json\n")
    bad = client.files.create(file=broken, purpose="fine-tune")
    failed = wait_for_status(
        client,
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=bad.id).id,
        {"failed", "succeeded"},
    )
    assert failed.error and failed.error.code == "invalid_training_file"
    assert failed.error.message.startswith("Line 13")
    levels = [event.level for event in client.fine_tuning.jobs.list_events(failed.id)]
    assert "error" in levels


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"model": "gpt-9-imaginary"}, "model"),
        ({"model": "gpt-5-mini"}, "model"),  # exists, but cannot be fine-tuned
        ({"training_file": "file-doesnotexist"}, "training_file"),
        ({"validation_file": "file-doesnotexist"}, "validation_file"),
        ({"suffix": "has:colon"}, "suffix"),
        ({"suffix": "x" * 65}, "suffix"),
        ({"seed": -1}, "seed"),
        ({"hyperparameters": {"n_epochs": 0}}, "hyperparameters.n_epochs"),
        ({"hyperparameters": {"batch_size": 257}}, "hyperparameters.batch_size"),
        (
            {
                "method": {
                    "type": "supervised",
                    "supervised": {"hyperparameters": {"learning_rate_multiplier": 0}},
                }
            },
            "method.supervised.hyperparameters.learning_rate_multiplier",
        ),
        (
            {"method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 3}}}},
            "method.dpo.hyperparameters.beta",
        ),
        ({"method": {"type": "reinforcement"}, "model": "o4-mini"}, "method.reinforcement.grader"),
        ({"method": {"type": "dpo"}, "model": "gpt-3.5-turbo"}, "model"),
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata"),
        ({"metadata": {"k" * 65: "v"}}, "metadata"),
        ({"metadata": {"k": "v" * 513}}, "metadata"),
        ({"integrations": [{"type": "slack"}]}, "integrations[0].type"),
    ],
)
def test_invalid_requests_name_their_param(
    client: OpenAI, uploaded: str, change: dict[str, Any], param: str
) -> None:
    body: dict[str, Any] = {"model": "gpt-4o-mini", "training_file": uploaded, **change}
    with pytest.raises(openai.BadRequestError) as refused:
        client.fine_tuning.jobs.create(**body)
    assert refused.value.status_code == 400
    assert refused.value.body["param"] == param  # type: ignore[index]
    assert refused.value.body["type"] == "invalid_request_error"  # type: ignore[index]
    assert client.fine_tuning.jobs.list().data == []  # nothing half-created


def test_wrong_purpose_and_unknown_argument(client: OpenAI) -> None:
    other = client.files.create(file=("requests.jsonl", b"{}\n"), purpose="batch")
    with pytest.raises(openai.BadRequestError) as refused:
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=other.id)
    assert refused.value.body["param"] == "training_file"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as unknown:
        client.fine_tuning.jobs.create(
            model="gpt-4o-mini", training_file=other.id, extra_body={"colour": "red"}
        )
    assert unknown.value.body["param"] == "colour"  # type: ignore[index]


def test_list_pages_and_filters_by_metadata(client: OpenAI, uploaded: str) -> None:
    ids = [
        client.fine_tuning.jobs.create(
            model="gpt-4o-mini", training_file=uploaded, metadata={"project": "p1" if i % 2 else "p2"}
        ).id
        for i in range(5)
    ]
    assert [job.id for job in client.fine_tuning.jobs.list(limit=2)] == ids[::-1]  # auto-paged
    first = client.fine_tuning.jobs.list(limit=2)
    assert first.has_more is True and len(first.data) == 2
    p1 = [job.id for job in client.fine_tuning.jobs.list(metadata={"project": "p1"})]
    assert p1 == [ids[3], ids[1]]
    assert list(client.fine_tuning.jobs.list(metadata={"project": "p1", "other": "x"})) == []
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve("ftjob-nope")


def test_dpo_job_and_continuing_from_a_fine_tuned_model(
    client: OpenAI, uploaded: str, tmp_path: Path
) -> None:
    pairs = [
        {
            "input": {"messages": [{"role": "user", "content": f"Who is Chunsik? ({i})"}]},
            "preferred_output": [{"role": "assistant", "content": "Ryan's cat."}],
            "non_preferred_output": [{"role": "assistant", "content": "A blue rabbit."}],
        }
        for i in range(10)
    ]
    preference = client.files.create(file=write_jsonl(tmp_path / "dpo.jsonl", pairs), purpose="fine-tune")
    first = wait_for_status(
        client, client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=uploaded).id, {"succeeded"}
    )
    assert first.fine_tuned_model
    dpo = client.fine_tuning.jobs.create(
        model=first.fine_tuned_model,
        training_file=preference.id,
        method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2}}},
    )
    done = wait_for_status(client, dpo.id, {"succeeded", "failed"})
    assert done.status == "succeeded", done.error
    assert done.model == first.fine_tuned_model
    assert done.method and done.method.type == "dpo" and done.method.dpo and done.method.dpo.hyperparameters
    assert done.method.dpo.hyperparameters.beta == 0.2
    assert (done.fine_tuned_model or "").startswith("ft:gpt-4o-mini-2024-07-18:emulator::")
    # A chat file is not a preference file: the DPO job fails when it starts.
    wrong = client.fine_tuning.jobs.create(
        model="gpt-4o-mini", training_file=uploaded, method={"type": "dpo"}
    )
    assert wait_for_status(client, wrong.id, {"failed", "succeeded"}).status == "failed"
