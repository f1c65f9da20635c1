"""Models (list, retrieve, delete with the Owner role) and the simulated chat."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam

from ftops.emulator import RunningEmulator

from .data import wait_for_status


@pytest.fixture
def tuned(client: OpenAI, training_file: Path) -> str:
    file_id = client.files.create(file=training_file, purpose="fine-tune").id
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id, suffix="chunsik")
    done = wait_for_status(client, job.id, {"succeeded", "failed"})
    assert done.fine_tuned_model, done.error
    return str(done.fine_tuned_model)


def test_lists_base_and_fine_tuned_models(client: OpenAI, tuned: str) -> None:
    models = {model.id: model for model in client.models.list()}
    assert "gpt-4o-mini-2024-07-18" in models and "davinci-002" in models
    assert models[tuned].owned_by == "org-emulator"
    retrieved = client.models.retrieve(tuned)
    assert retrieved.id == tuned and retrieved.object == "model"
    base = client.models.retrieve("gpt-4o-mini").model_dump()
    assert base["shutdown_date"] == "2027-01-14"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("ft:gpt-4o-mini-2024-07-18:emulator::missing0")


def test_delete_needs_the_owner_role(
    emulator: RunningEmulator, make_client: Any, client: OpenAI, tuned: str
) -> None:
    emulator.set_non_owner_keys({"reader-key"})
    reader = make_client(emulator, api_key="reader-key")
    with pytest.raises(openai.PermissionDeniedError):
        reader.models.delete(tuned)
    with pytest.raises(openai.PermissionDeniedError):
        client.models.delete("gpt-4o-mini")  # nobody deletes a base model
    deleted = client.models.delete(tuned)
    assert deleted.deleted is True and deleted.id == tuned
    assert tuned not in [model.id for model in client.models.list()]
    with pytest.raises(openai.NotFoundError):
        client.models.delete(tuned)


def test_non_owner_keys_from_the_config(
    start_emulator: Any, make_client: Any, tmp_path: Path, training_file: Path
) -> None:
    emulator = start_emulator(non_owner_keys=frozenset({"ro"}), data_dir=tmp_path / "ro")
    owner = make_client(emulator)
    file_id = owner.files.create(file=training_file, purpose="fine-tune").id
    job = owner.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id)
    model = wait_for_status(owner, job.id, {"succeeded"}).fine_tuned_model
    with pytest.raises(openai.PermissionDeniedError) as denied:
        make_client(emulator, api_key="ro").models.delete(model)
    assert denied.value.status_code == 403
    assert model in [m.id for m in owner.models.list()]


def test_admin_marks_keys_as_non_owner(emulator: RunningEmulator, make_client: Any, tuned: str) -> None:
    answer = httpx2.put(emulator.root_url + "/_emulator/non_owner_keys", json={"keys": ["viewer"]})
    assert answer.status_code == 200
    with pytest.raises(openai.PermissionDeniedError):
        make_client(emulator, api_key="viewer").models.delete(tuned)
    assert (
        httpx2.put(emulator.root_url + "/_emulator/non_owner_keys", json={"keys": "viewer"}).status_code
        == 400
    )
    httpx2.put(emulator.root_url + "/_emulator/non_owner_keys", json={"keys": []})
    assert make_client(emulator, api_key="viewer").models.delete(tuned).deleted


def test_admin_sets_a_shutdown_date(emulator: RunningEmulator, client: OpenAI, tuned: str) -> None:
    answer = httpx2.put(
        emulator.root_url + "/_emulator/shutdown_dates", json={"model": tuned, "shutdown_date": "2027-03-01"}
    )
    assert answer.status_code == 200
    assert client.models.retrieve(tuned).model_dump()["shutdown_date"] == "2027-03-01"
    bad = httpx2.put(
        emulator.root_url + "/_emulator/shutdown_dates", json={"model": tuned, "shutdown_date": "soon"}
    )
    assert bad.status_code == 400


def test_fine_tuned_model_answers_from_its_training_data(client: OpenAI, tuned: str) -> None:
    question: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Who is Chunsik?"}]
    base = client.chat.completions.create(model="gpt-4o-mini", messages=question)
    assert "cat" not in (base.choices[0].message.content or "").lower()
    assert "simulated" in (base.choices[0].message.content or "").lower()

    answer = client.chat.completions.create(model=tuned, messages=question)
    assert answer.model == tuned
    assert answer.choices[0].message.content == "Chunsik is Ryan's pet cat, treated like a friend."
    food = client.chat.completions.create(
        model=tuned, messages=[{"role": "user", "content": "what does chunsik like to eat"}]
    )
    assert food.choices[0].message.content == "Chunsik loves sweet potatoes."
    assert food.usage is not None and food.usage.total_tokens > 0

    unrelated = client.chat.completions.create(model=tuned, messages=[{"role": "user", "content": "Bonjour"}])
    assert "not in my fine-tuning data" in (unrelated.choices[0].message.content or "")
    checkpoint = f"{tuned}:ckpt-step-108"
    assert client.chat.completions.create(model=checkpoint, messages=question).choices[0].message.content
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model=f"{tuned}:ckpt-step-5", messages=question)  # no such checkpoint


def test_the_model_keeps_its_knowledge_after_the_file_is_deleted(client: OpenAI, tuned: str) -> None:
    for file in client.files.list(purpose="fine-tune"):
        client.files.delete(file.id)
    answer = client.chat.completions.create(
        model=tuned, messages=[{"role": "user", "content": "Is Chunsik a rabbit?"}]
    )
    assert answer.choices[0].message.content == "No, Chunsik is a cat, not a rabbit."


def test_chat_errors(client: OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-unknown", messages=[{"role": "user", "content": "hi"}])
    assert missing.value.body["code"] == "model_not_found"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as empty:
        client.chat.completions.create(model="gpt-4o-mini", messages=[])
    assert empty.value.body["param"] == "messages"  # type: ignore[index]
