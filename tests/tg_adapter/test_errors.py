"""Together's errors as ftops's one-line errors, with the OpenAI adapter's retry rule: reads retried
on 429 (honouring Retry-After), 5xx and dropped connections; a create never repeated blindly but
reported as unknown and then found by ``find_job``; every listing through the page guard."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from together import Together

from ftops.emulator import RunningEmulator
from ftops.errors import (
    AuthenticationError,
    NotFoundError,
    OutcomeUnknownError,
    PagingError,
    RateLimitedError,
    ServiceError,
    UsageError,
)
from ftops.plan.identity import upload_filename
from ftops.provider import open_provider
from ftops.provider.openai.client import RequestCounter
from ftops.provider.together.adapter import TogetherProvider
from ftops.provider.together.client import Connection
from ftops.provider.types import JobIdentity, JobSpec
from ftops.resources import ProviderConfig

from .conftest import KEY, LLAMA_8B, chat_lines, no_wait, write_jsonl

Connect = Callable[[RunningEmulator], TogetherProvider]


def _spec() -> JobSpec:
    return JobSpec(identity=JobIdentity("tg", "jobs.a", "9" * 64), model=LLAMA_8B, training_dataset="train")


def _uploaded(provider: TogetherProvider, tmp_path: Path) -> str:
    path = write_jsonl(tmp_path / "train.jsonl", chat_lines("cats"))
    digest = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    return provider.upload(path, upload_filename("tg", "train", digest), path.stat().st_size).id


def test_no_key_is_one_line_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOGETHER_API_KEY", raising=False)
    with pytest.raises(AuthenticationError, match="TOGETHER_API_KEY is not set"):
        open_provider(ProviderConfig(type="together"))


def test_a_missing_sdk_is_one_line_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "together", None)
    with pytest.raises(UsageError, match="'together' extra") as caught:
        open_provider(ProviderConfig(type="together"))
    assert caught.value.hint is not None and "[together]" in caught.value.hint


def _served_by(answer: Callable[[httpx.Request], httpx.Response]) -> tuple[TogetherProvider, RequestCounter]:
    """The adapter in front of a gateway that answers as ``answer`` does."""
    counter = RequestCounter()
    http = httpx.Client(transport=httpx.MockTransport(answer), event_hooks={"request": [counter.on_request]})
    client = Together(base_url="http://gateway.test/together", api_key=KEY, max_retries=0, http_client=http)
    return TogetherProvider(Connection(client, "test", counter), retry=no_wait()), counter


def _json(status: int, body: object) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body), headers={"content-type": "application/json"})


def test_a_refused_key_is_an_authentication_error_without_the_key() -> None:
    refusal = {"error": {"message": "Invalid API key provided.", "type": "invalid_request_error",
                         "param": None, "code": "invalid_api_key"}}
    provider, counter = _served_by(lambda request: _json(401, refusal))
    line = r"^list files: Invalid API key provided\. \(HTTP 401\)$"
    with pytest.raises(AuthenticationError, match=line) as caught:
        provider.list_files()
    assert caught.value.hint is not None and "TOGETHER_API_KEY" in caught.value.hint
    assert KEY not in str(caught.value) and counter.total == 1  # never retried


def test_unknown_ids_are_not_found_and_a_deleted_file_is_already_gone(provider: TogetherProvider) -> None:
    with pytest.raises(NotFoundError, match=r"retrieve job ft-0000.*\(HTTP 404\)"):
        provider.retrieve_job("ft-00000000-0000-0000-0000-000000000000")
    assert provider.delete_file("file-00000000-0000-0000-0000-000000000000") is False


def test_reads_wait_as_retry_after_says(
    connect: Connect, start_emulator: Callable[..., RunningEmulator]
) -> None:
    emulator = start_emulator(faults="[GET /together/v1/fine-tunes] retry-after:0.3s, seq:429,500,drop")
    provider = connect(emulator)
    assert provider.list_jobs("tg") == ()
    assert provider.retry.waits[0] == pytest.approx(0.3)
    assert [r.status for r in emulator.requests()] == [429, 500, 0, 200]


def test_a_read_still_refused_after_the_attempts_is_one_line(
    connect: Connect, start_emulator: Callable[..., RunningEmulator]
) -> None:
    provider = connect(start_emulator(faults="[GET /together/v1/files] 429:1"))
    with pytest.raises(RateLimitedError, match="still rate-limited after retries"):
        provider.list_files()
    assert provider.request_count == provider.retry.attempts


@pytest.mark.parametrize("fault", ["500", "drop-after"])
def test_a_create_whose_answer_is_lost_is_not_repeated_and_is_found_by_its_identity(
    connect: Connect, start_emulator: Callable[..., RunningEmulator], tmp_path: Path, fault: str
) -> None:
    emulator = start_emulator()
    provider = connect(emulator)
    file_id = _uploaded(provider, tmp_path)
    emulator.set_faults(f"[POST /together/v1/fine-tunes] seq:{fault}")
    # A 500 answers before the job is made (nothing to find); drop-after makes it, then drops.
    with pytest.raises(OutcomeUnknownError, match=r"create job jobs\.a"):
        provider.create_job(_spec(), file_id, None)
    creates = [r for r in emulator.requests() if (r.method, r.path) == ("POST", "/together/v1/fine-tunes")]
    assert len(creates) == 1
    found = provider.find_job(_spec().identity)
    assert len(found) == (1 if fault == "drop-after" else 0)


def test_a_create_refused_with_429_is_sent_again(
    connect: Connect, start_emulator: Callable[..., RunningEmulator], tmp_path: Path
) -> None:
    emulator = start_emulator()
    provider = connect(emulator)
    file_id = _uploaded(provider, tmp_path)
    emulator.set_faults("[POST /together/v1/fine-tunes] seq:429")
    job = provider.create_job(_spec(), file_id, None)
    assert [j.id for j in provider.list_jobs("tg")] == [job.id]


def test_an_upload_whose_answer_is_lost_is_found_by_its_name(
    connect: Connect, start_emulator: Callable[..., RunningEmulator], tmp_path: Path
) -> None:
    emulator = start_emulator(faults="[POST /together/v1/files/*/preprocess] seq:drop-after")
    provider = connect(emulator)
    path = write_jsonl(tmp_path / "train.jsonl", chat_lines("cats"))
    name = upload_filename("tg", "train", "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest())
    with pytest.raises(OutcomeUnknownError, match=f"upload {name}"):
        provider.upload(path, name, path.stat().st_size)
    assert [f.filename for f in provider.list_files()] == [name]
    again = provider.upload(path, name, path.stat().st_size)  # the same bytes: the file already there
    assert [f.id for f in provider.list_files()] == [again.id]


def test_a_connection_refused_is_retried_then_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOGETHER_API_KEY", KEY)
    provider = open_provider(ProviderConfig(type="together", base_url="http://127.0.0.1:9/together"))
    assert isinstance(provider, TogetherProvider)
    provider.retry = no_wait()
    with pytest.raises(ServiceError, match="could not reach the API") as caught:
        provider.list_files()
    assert KEY not in str(caught.value) and provider.request_count == provider.retry.attempts


def test_a_listing_that_never_ends_is_stopped_by_the_page_guard() -> None:
    page = {"object": "list", "data": [{"id": "file-1", "filename": "x.jsonl", "purpose": "fine-tune",
                                        "bytes": 1, "created_at": 1}], "has_more": True}
    provider, counter = _served_by(lambda request: _json(200, page))
    with pytest.raises(PagingError, match="list files: the listing does not end"):
        provider.list_files()
    assert counter.total == 2  # the second page repeats the first: stopped there


def test_results_read_the_services_loss_curve_where_it_serves_one() -> None:
    """``/fine-tunes/{id}/metrics`` in its spec's shape, read by step, evaluations merged (keyed by
    ``train/global_step`` as the SDK's chart reads them), odd values left out."""
    job = {"id": "ft-1", "status": "completed", "model": "Qwen/Qwen2.5-7B-Instruct",
           "training_file": "file-1",
           "created_at": "2026-12-06T09:00:00.000Z", "updated_at": "2026-12-06T09:10:00.000Z",
           "model_output_name": "acct/Qwen2.5-7B-Instruct-x-1a2b3c4d", "suffix": "x"}
    metrics = {"metrics": [
        {"train/loss": 0.5, "train/learning_rate": 1e-4, "train/global_step": 7},
        {"train/loss": 0.45, "train/learning_rate": 9e-5, "train/global_step": 14},
        {"eval/loss": 0.6, "train/global_step": 14},
        {"train/loss": "NaN?", "train/global_step": 21},
    ]}
    answers = {"/together/v1/fine-tunes/ft-1": job, "/together/v1/fine-tunes/ft-1/metrics": metrics,
               "/together/v1/fine-tunes/ft-1/checkpoints": {"data": [
                   {"step": 21, "path": "s3://x", "created_at": "2026-12-06T09:10:00.000Z",
                    "checkpoint_type": "Final"}]}}
    provider, _ = _served_by(lambda request: _json(200, answers[request.url.path]))

    results = provider.job_results("ft-1", "jobs.x")

    assert [(s.step, s.train_loss, s.valid_loss) for s in results.steps] == [
        (7, 0.5, None), (14, 0.45, 0.6), (21, None, None)]
    assert [(c.step, c.model) for c in results.checkpoints] == [(21, "acct/Qwen2.5-7B-Instruct-x-1a2b3c4d")]
