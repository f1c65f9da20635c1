"""Together's error shape for 401, 404, 400 and injected 429s; faults, the request log and a
restart on the Together paths; Together's objects kept apart from the OpenAI side's."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from together import APIConnectionError, NotFoundError, RateLimitError, Together

from ftops.emulator import RunningEmulator

from .conftest import LLAMA_8B, ResponseChecker, wait

KEY = {"Authorization": "Bearer k"}


def test_a_request_without_a_bearer_key_is_401(http: httpx.Client, checker: ResponseChecker) -> None:
    answer = http.get("/fine-tunes")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "invalid_api_key"
    assert http.get("/files", headers={"Authorization": "Basic abc"}).status_code == 401
    assert checker.checked == ["ErrorData", "ErrorData"]


def test_unknown_ids_and_routes_are_404_in_togethers_shape(client: Together, http: httpx.Client) -> None:
    with pytest.raises(NotFoundError, match="ft-00000000"):
        client.fine_tuning.retrieve("ft-00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotFoundError):
        client.fine_tuning.list_events("ft-nope")
    with pytest.raises(NotFoundError):
        client.chat.completions.create(
            model="someone/unknown-model", messages=[{"role": "user", "content": "hi"}]
        )
    assert http.get("/no-such-thing", headers=KEY).status_code == 404
    limits = http.get("/fine-tunes/models/limits", params={"model_name": "x/y"}, headers=KEY)
    assert limits.status_code == 404 and set(limits.json()) == {"message"}  # the spec's bare {message}


def test_a_body_the_service_refuses_is_400_naming_the_parameter(
    client: Together, http: httpx.Client, training_file: Path
) -> None:
    file_id = client.files.upload(file=training_file, purpose="fine-tune").id
    cases = [
        ({"training_file": file_id, "model": LLAMA_8B, "batch_size": 4096}, "batch_size"),
        ({"training_file": file_id, "model": LLAMA_8B, "training_type": {"type": "lora"}}, "training_type"),
        ({"training_file": "file-missing", "model": LLAMA_8B}, "training_file"),
        ({"training_file": file_id, "model": "gpt-4o-mini"}, "model"),
        ({"training_file": file_id, "model": LLAMA_8B, "n_evals": 2}, "n_evals"),
        ({"training_file": file_id, "model": LLAMA_8B, "suffix": "x" * 41}, "suffix"),
        ({"training_file": file_id, "model": LLAMA_8B, "lr_scheduler": "cosine"}, "lr_scheduler"),
        ({"training_file": file_id, "model": LLAMA_8B, "packing": "yes"}, "packing"),
    ]
    unreadable = http.post("/fine-tunes", content=b"{not json", headers=KEY)
    assert unreadable.status_code == 400 and "OpenAI" not in unreadable.json()["error"]["message"]
    for body, param in cases:
        answer = http.post("/fine-tunes", json=body, headers=KEY)
        assert (answer.status_code, answer.json()["error"]["param"]) == (400, param), body
    assert client.fine_tuning.list().data == []


def test_secrets_in_the_body_are_never_echoed(
    client: Together, http: httpx.Client, training_file: Path
) -> None:
    file_id = client.files.upload(file=training_file, purpose="fine-tune").id
    body = {
        "training_file": file_id,
        "model": LLAMA_8B,
        "wandb_api_key": "wk-secret",
        "hf_api_token": "hf-secret",
    }
    created = http.post("/fine-tunes", json=body, headers=KEY)
    assert created.status_code == 200
    shown = http.get(f"/fine-tunes/{created.json()['id']}", headers=KEY).text
    assert "secret" not in created.text and "secret" not in shown


def test_an_injected_429_carries_retry_after_and_the_sdk_retries_it(
    emulator: RunningEmulator, make_client: Callable[..., Together], checker: ResponseChecker
) -> None:
    emulator.set_faults("[GET /together/v1/fine-tunes] 429:1, retry-after:2s")
    with pytest.raises(RateLimitError) as caught:
        make_client(emulator).fine_tuning.list()
    assert caught.value.response.headers["retry-after"] == "2"
    assert "ErrorData" in checker.checked

    # A rule without a scope applies to Together's paths as to OpenAI's.
    emulator.set_faults("seq:429,429, retry-after:10ms")
    emulator.clear_requests()
    assert make_client(emulator, max_retries=2).fine_tuning.list().data == []
    assert [(r.status, r.fault) for r in emulator.requests()] == [(429, "429"), (429, "429"), (200, None)]


def test_a_create_whose_answer_is_lost_still_made_the_job(
    emulator: RunningEmulator, client: Together, training_file: Path
) -> None:
    file_id = client.files.upload(file=training_file, purpose="fine-tune").id
    emulator.set_faults("[POST /together/v1/fine-tunes] seq:drop-after")
    with pytest.raises(APIConnectionError):
        client.fine_tuning.create(training_file=file_id, model=LLAMA_8B)
    assert len(client.fine_tuning.list().data) == 1
    assert [r.fault for r in emulator.requests() if r.path == "/together/v1/fine-tunes"] == [
        "drop-after",
        None,
    ]


def test_the_hold_counts_together_mutations(
    emulator: RunningEmulator, client: Together, training_file: Path
) -> None:
    hold = emulator.hold_mutation(3)  # register, PUT, preprocess: the third is held
    try:
        result: list[str] = []
        worker = threading.Thread(
            target=lambda: result.append(client.files.upload(file=training_file, purpose="fine-tune").id)
        )
        worker.start()
        assert hold.reached.wait(10)
        assert [r.path.rsplit("/", 1)[-1] for r in emulator.requests()][-1] == "preprocess"
        assert result == []
    finally:
        hold.release()
    worker.join(10)
    assert len(result) == 1


def test_jobs_move_on_across_a_restart(
    start_emulator: Callable[..., RunningEmulator],
    make_client: Callable[..., Together],
    training_file: Path,
    tmp_path: Path,
) -> None:
    first = start_emulator(data_dir=tmp_path / "kept")
    tg = make_client(first)
    job = tg.fine_tuning.create(
        training_file=tg.files.upload(file=training_file, purpose="fine-tune").id, model=LLAMA_8B
    )
    first.stop()

    second = start_emulator(data_dir=tmp_path / "kept")
    again = make_client(second)
    assert wait(again, job.id) == "completed"
    assert [e.type for e in again.fine_tuning.list_events(job.id).data][-1] == "job_complete"
    assert [f.filename for f in again.files.list().data] == ["capitals.jsonl"]


def test_together_and_openai_objects_are_apart(
    client: Together, emulator: RunningEmulator, training_file: Path
) -> None:
    client.files.upload(file=training_file, purpose="fine-tune")
    openai_files = httpx.get(emulator.base_url + "/files", headers=KEY).json()
    assert openai_files["data"] == []
    openai_jobs = httpx.get(emulator.base_url + "/fine_tuning/jobs", headers=KEY).json()
    assert openai_jobs["data"] == []


def test_a_revoked_key_is_401(emulator: RunningEmulator, http: httpx.Client) -> None:
    emulator.set_revoked_keys({"revoked-together-key"})
    answer = http.get("/fine-tunes", headers={"Authorization": "Bearer revoked-together-key"})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "invalid_api_key"
    assert http.get("/fine-tunes", headers=KEY).status_code == 200
