"""Fine-tunes through the together SDK: LoRA and full jobs on the emulator's clock, from creation
to a model that answers, with events, checkpoints, list, cancel and delete."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from together import BadRequestError, NotFoundError, Together

from ftops.emulator import RunningEmulator

from .conftest import LLAMA_8B, LLAMA_70B_LORA_ONLY, QWEN_7B, ResponseChecker, wait
from .data import CAPITALS, GENERAL, INSTRUCTIONS, PREFERENCES, write_jsonl

_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_lora_job_runs_to_a_model_that_answers_from_its_data(
    client: Together, emulator: RunningEmulator, training_file: Path, checker: ResponseChecker
) -> None:
    file_id = client.files.upload(file=training_file, purpose="fine-tune").id
    emulator.clear_requests()

    job = client.fine_tuning.create(training_file=file_id, model=LLAMA_8B, n_epochs=3, suffix="capitals")

    # The SDK reads the model's limits and a price estimate before it creates.
    assert [(r.method, r.path, r.status) for r in emulator.requests()] == [
        ("GET", "/together/v1/fine-tunes/models/limits", 200),
        ("POST", "/together/v1/fine-tunes/estimate-price", 200),
        ("POST", "/together/v1/fine-tunes", 200),
    ]
    assert re.fullmatch(r"ft-[0-9a-f-]{36}", job.id)
    assert job.status == "pending"
    output = job.output_name  # the create answer's name for model_output_name
    assert output is not None
    assert re.fullmatch(r"emulator/Meta-Llama-3\.1-8B-Instruct-Reference-capitals-[0-9a-f]{8}", output)
    assert wait(client, job.id) == "completed"

    done = client.fine_tuning.retrieve(job.id)
    assert done.training_type is not None and done.training_type.type == "Lora"
    assert done.n_epochs == 3 and done.token_count is not None and done.token_count > 0
    assert done.created_at is not None and done.updated_at is not None and done.updated_at > done.created_at
    events = client.fine_tuning.list_events(job.id).data
    types = [event.type for event in events]
    assert types[0] == "job_pending" and types[-1] == "job_complete"
    assert types.count("epoch_complete") == 3
    assert all(_ISO.match(event.created_at) for event in events)
    checkpoints = client.fine_tuning.list_checkpoints(job.id).data
    assert [c.checkpoint_type for c in checkpoints] == ["Final"]

    answer = client.chat.completions.create(
        model=output, messages=[{"role": "user", "content": "Which city is the capital of Bhutan?"}]
    )
    assert answer.choices[0].message is not None
    assert answer.choices[0].message.content == "Thimphu is the capital of Bhutan."
    base = client.chat.completions.create(model=LLAMA_8B, messages=[{"role": "user", "content": "Bhutan?"}])
    assert base.choices[0].message is not None and "Thimphu" not in str(base.choices[0].message.content)
    assert {
        "FinetuneResponseTruncated",
        "FinetuneResponse",
        "FinetuneListEvents",
        "FinetuneListCheckpoints",
        "ChatCompletionResponse",
        "FineTuneModelLimits",
        "EstimatePriceResponse",
    } <= set(checker.checked)


def test_full_training_intermediate_checkpoints_and_the_list(client: Together, training_file: Path) -> None:
    file_id = client.files.upload(file=training_file, purpose="fine-tune").id
    lora = client.fine_tuning.create(training_file=file_id, model=LLAMA_8B)
    full = client.fine_tuning.create(
        training_file=file_id,
        model=QWEN_7B,
        lora=False,
        n_epochs=4,
        n_checkpoints=4,
        batch_size=8,
        learning_rate=2e-5,
        warmup_ratio=0.1,
    )

    assert full.training_type is not None and full.training_type.type == "Full"
    assert wait(client, full.id) == "completed"
    shown = client.fine_tuning.retrieve(full.id)
    assert (shown.batch_size, shown.learning_rate, shown.warmup_ratio) == (8, 2e-5, 0.1)
    checkpoints = client.fine_tuning.list_checkpoints(full.id).data
    assert [c.checkpoint_type for c in checkpoints] == [
        "Final",
        "Intermediate",
        "Intermediate",
        "Intermediate",
    ]
    assert [c.step for c in checkpoints] == sorted((c.step for c in checkpoints), reverse=True)
    assert [job.id for job in client.fine_tuning.list().data] == [full.id, lora.id]


def test_full_training_is_refused_where_the_limits_offer_none(client: Together, training_file: Path) -> None:
    file_id = client.files.upload(file=training_file, purpose="fine-tune").id
    limits = client.fine_tuning.model_limits(model_name=LLAMA_70B_LORA_ONLY)
    assert limits.full_training is None and limits.supports_full_training is False
    with pytest.raises(ValueError, match=r"[Ff]ull"):
        client.fine_tuning.create(training_file=file_id, model=LLAMA_70B_LORA_ONLY, lora=False)


def test_an_unknown_base_model_fails_the_create_at_its_limits(
    client: Together, emulator: RunningEmulator, training_file: Path
) -> None:
    file_id = client.files.upload(file=training_file, purpose="fine-tune").id
    emulator.clear_requests()
    with pytest.raises(NotFoundError):
        client.fine_tuning.create(training_file=file_id, model="meta-llama/No-Such-Model")
    assert [(r.path, r.status) for r in emulator.requests()] == [
        ("/together/v1/fine-tunes/models/limits", 404)
    ]


def test_price_estimate_counts_the_epochs(client: Together, training_file: Path) -> None:
    file_id = client.files.upload(file=training_file, purpose="fine-tune").id
    one = client.fine_tuning.estimate_price(training_file=file_id, model=LLAMA_8B, n_epochs=1)
    three = client.fine_tuning.estimate_price(training_file=file_id, model=LLAMA_8B, n_epochs=3)
    assert one.estimation_available and three.estimation_available
    assert (
        one.estimated_train_token_count
        and three.estimated_train_token_count == 3 * one.estimated_train_token_count
    )
    assert three.estimated_total_price and three.estimated_total_price > one.estimated_total_price


@pytest.mark.parametrize(
    ("examples", "method"), [(INSTRUCTIONS, "sft"), (GENERAL, "sft"), (PREFERENCES, "dpo")]
)
def test_each_of_togethers_formats_trains(
    client: Together, tmp_path: Path, examples: list[object], method: str
) -> None:
    path = write_jsonl(tmp_path / "data.jsonl", examples)
    file_id = client.files.upload(file=path, purpose="fine-tune").id
    job = client.fine_tuning.create(training_file=file_id, model=QWEN_7B, training_method=method)
    assert wait(client, job.id) == "completed"
    shown = client.fine_tuning.retrieve(job.id)
    assert shown.training_method is not None and shown.training_method.method == method


def test_a_bad_training_file_fails_the_job_when_it_starts(
    client: Together, tmp_path: Path, make_client: Callable[..., Together]
) -> None:
    # Conversation data mixed with a preference example: the SDK's own check would stop it, so skip it.
    path = write_jsonl(tmp_path / "mixed.jsonl", [*INSTRUCTIONS[:3], {"text": "a line of another format"}])
    file_id = client.files.upload(file=path, purpose="fine-tune", check=False).id
    job = client.fine_tuning.create(training_file=file_id, model=LLAMA_8B)

    assert wait(client, job.id) == "error"
    events = client.fine_tuning.list_events(job.id).data
    assert events[-1].type == "job_error" and events[-1].level == "error"
    assert "Line 4" in events[-1].message and "general" in events[-1].message
    with pytest.raises(NotFoundError):  # the model of a failed job never answers
        client.chat.completions.create(
            model=str(job.output_name), messages=[{"role": "user", "content": "hi"}]
        )


def test_a_running_job_is_cancelled_in_two_steps_and_not_deleted_before(
    start_emulator: Callable[..., RunningEmulator],
    make_client: Callable[..., Together],
    training_file: Path,
    tmp_path: Path,
) -> None:
    # A tenth of real time: the job stays pending, and then cancel_requested, for the whole test.
    slow = start_emulator(data_dir=tmp_path / "slow", speed=0.1)
    tg = make_client(slow)
    file_id = tg.files.upload(file=training_file, purpose="fine-tune").id
    job = tg.fine_tuning.create(training_file=file_id, model=LLAMA_8B)
    with pytest.raises(BadRequestError, match="cancel it"):
        tg.fine_tuning.delete(job.id)

    cancelled = tg.fine_tuning.cancel(job.id)

    assert cancelled.status == "cancel_requested"
    assert [e.type for e in tg.fine_tuning.list_events(job.id).data][-1] == "cancel_requested"
    assert tg.fine_tuning.cancel(job.id).status == "cancel_requested"  # again: no change, no error
    with pytest.raises(BadRequestError, match="cancel_requested"):
        tg.fine_tuning.delete(job.id)


def test_a_cancelled_job_ends_cancelled_and_can_be_deleted(
    start_emulator: Callable[..., RunningEmulator],
    make_client: Callable[..., Together],
    training_file: Path,
    tmp_path: Path,
) -> None:
    # Slow enough that the cancel surely arrives before the job ends (10 s), fast enough to see it end.
    client = make_client(start_emulator(data_dir=tmp_path / "cancel", speed=20.0))
    file_id = client.files.upload(file=training_file, purpose="fine-tune").id
    job = client.fine_tuning.create(training_file=file_id, model=LLAMA_8B)
    assert client.fine_tuning.cancel(job.id).status == "cancel_requested"
    assert wait(client, job.id) == "cancelled"
    types = [e.type for e in client.fine_tuning.list_events(job.id).data]
    assert types[-2:] == ["cancel_requested", "job_stopped"] and "job_complete" not in types
    with pytest.raises(BadRequestError):
        client.fine_tuning.cancel(job.id)

    assert "deleted" in client.fine_tuning.delete(job.id).message
    with pytest.raises(NotFoundError):
        client.fine_tuning.retrieve(job.id)
    assert client.fine_tuning.list().data == []


def test_a_deleted_jobs_model_stops_answering(client: Together, training_file: Path) -> None:
    file_id = client.files.upload(file=training_file, purpose="fine-tune").id
    job = client.fine_tuning.create(training_file=file_id, model=LLAMA_8B)
    assert wait(client, job.id) == "completed"
    model = str(client.fine_tuning.retrieve(job.id).x_model_output_name)
    question = [{"role": "user", "content": "capital of Moldova"}]
    assert client.chat.completions.create(model=model, messages=question).choices
    client.fine_tuning.delete(job.id)
    with pytest.raises(NotFoundError):
        client.chat.completions.create(model=model, messages=question)


def test_a_validation_file_is_priced_by_its_evals_and_checked_at_the_start(
    client: Together, training_file: Path, tmp_path: Path
) -> None:
    training = client.files.upload(file=training_file, purpose="fine-tune").id
    good = client.files.upload(
        file=write_jsonl(tmp_path / "valid.jsonl", CAPITALS[:3]), purpose="fine-tune"
    ).id
    estimate = client.fine_tuning.estimate_price(
        training_file=training, validation_file=good, model=LLAMA_8B, n_evals=4
    )
    assert estimate.estimation_available and estimate.estimated_eval_token_count
    job = client.fine_tuning.create(training_file=training, validation_file=good, n_evals=4, model=LLAMA_8B)
    assert wait(client, job.id) == "completed"
    assert client.fine_tuning.retrieve(job.id).validation_file == good

    bad_path = write_jsonl(tmp_path / "bad.jsonl", [{"messages": [{"role": "user", "content": "no reply"}]}])
    bad = client.files.upload(file=bad_path, purpose="fine-tune", check=False).id
    failing = client.fine_tuning.create(
        training_file=training, validation_file=bad, n_evals=1, model=LLAMA_8B
    )
    assert wait(client, failing.id) == "error"
    assert client.fine_tuning.list_events(failing.id).data[-1].message.startswith("Validation file: Line 1")


def test_a_base_model_answers_from_its_system_prompt_with_n_choices(client: Together) -> None:
    answer = client.chat.completions.create(
        model=QWEN_7B,
        messages=[
            {"role": "system", "content": "Thimphu is the capital of Bhutan. Answer briefly."},
            {"role": "user", "content": "What is the capital of Bhutan?"},
        ],
        temperature=0,
        n=2,
    )
    assert [c.message.content for c in answer.choices if c.message] == [
        "Thimphu is the capital of Bhutan."
    ] * 2
