"""Retry rules and error mapping of the provider, through the real SDK over a stub transport.

A stub transport (httpx2's MockTransport) is the right seam here: these tests need
exact control of each answer (a 429 with a given Retry-After, a dropped connection
before or after sending), which a stateful server would make indirect.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ftops import errors
from ftops.provider import JobIdentity, JobSpec
from ftops.provider.openai.adapter import OpenAIProvider as Provider
from ftops.provider.openai.client import Connection, RequestCounter
from ftops.provider.retry import RetryPolicy, retry_after_seconds

FAKE_KEY = "sk-test-SECRETSECRETSECRET0123456789"

Handler = Callable[[httpx2.Request], httpx2.Response]


def _job(job_id: str = "ftjob-1", **extra: Any) -> dict[str, Any]:
    body = {
        "id": job_id, "object": "fine_tuning.job", "created_at": 1, "model": "gpt-4o-mini-2024-07-18",
        "organization_id": "org-x", "result_files": [], "seed": 1, "status": "queued",
        "training_file": "file-1", "hyperparameters": {"n_epochs": 3}, "metadata": {"ftops_project": "p"},
        "fine_tuned_model": None, "finished_at": None, "trained_tokens": None, "validation_file": None,
        "error": None,
    }
    body.update(extra)
    return body


def _file(file_id: str = "file-1", filename: str = "a.jsonl") -> dict[str, Any]:
    return {"id": file_id, "object": "file", "bytes": 3, "created_at": 1, "filename": filename,
            "purpose": "fine-tune", "status": "processed"}


def _error(status: int, message: str, headers: dict[str, str] | None = None,
           param: str | None = None) -> httpx2.Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}}
    return httpx2.Response(status, json=body, headers=headers or {})


class Script:
    """Answers requests from a list of responses (or exceptions), recording each request."""

    def __init__(self, *answers: httpx2.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        request.read()
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx2.Response):
            return answer(request)
        return answer


def make_provider(script: Script, **kwargs: Any) -> tuple[Provider, RetryPolicy]:
    counter = RequestCounter()
    http = httpx2.Client(
        transport=httpx2.MockTransport(script), event_hooks={"request": [counter.on_request]}
    )
    client = openai.OpenAI(
        api_key=FAKE_KEY, base_url="http://stub.invalid/v1", http_client=http, max_retries=0
    )
    slept: list[float] = []
    policy = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.02, sleep=slept.append)
    return Provider(Connection(client, "stub", counter), retry=policy, **kwargs), policy


def spec(model: str) -> JobSpec:
    """A job of ``jobs.x`` (its address names the request in messages)."""
    return JobSpec(JobIdentity("p", "jobs.x", "h" * 64), model, "train")


# ---- reads ----------------------------------------------------------------------------------


def test_read_honours_retry_after_on_429() -> None:
    script = Script(
        _error(429, "slow down", {"retry-after": "2"}),
        httpx2.Response(200, json={"object": "list", "data": [_file()], "has_more": False}),
    )
    provider, policy = make_provider(script)
    files = provider.list_files()
    assert [f.id for f in files] == ["file-1"]
    assert policy.waits == [2.0]
    assert provider.request_count == 2


def test_read_retries_5xx_and_connection_errors_with_backoff() -> None:
    script = Script(
        _error(500, "boom"),
        httpx2.ReadError("reset"),
        httpx2.Response(200, json={"object": "list", "data": [], "has_more": False}),
    )
    provider, policy = make_provider(script)
    assert provider.list_files() == ()
    assert len(policy.waits) == 2
    assert all(0 < w <= 0.02 for w in policy.waits)


def test_read_gives_up_after_the_attempts_with_one_clear_error() -> None:
    script = Script(*[_error(503, "unavailable") for _ in range(4)])
    provider, _ = make_provider(script)
    with pytest.raises(errors.ServiceError) as caught:
        provider.list_models()
    assert "list models" in str(caught.value) and "503" in str(caught.value)
    assert len(script.requests) == 4


def test_a_retry_after_too_long_fails_at_once() -> None:
    script = Script(_error(429, "quota", {"retry-after": "3600"}))
    provider, policy = make_provider(script)
    with pytest.raises(errors.RateLimitedError):
        provider.list_models()
    assert policy.waits == []


def test_listing_pages_by_cursor_and_filters_jobs_by_project_tag() -> None:
    seen: list[dict[str, str]] = []

    def page(request: httpx2.Request) -> httpx2.Response:
        params = dict(request.url.params)
        seen.append(params)
        if "after" not in params:
            return httpx2.Response(200, json={"object": "list", "data": [_job("ftjob-2")], "has_more": True})
        other = _job("ftjob-x", metadata={"ftops_project": "someone-else"})
        last = {"object": "list", "data": [_job("ftjob-1"), other], "has_more": False}
        return httpx2.Response(200, json=last)

    provider, _ = make_provider(Script(page, page))
    jobs = provider.list_jobs("p")
    assert [j.id for j in jobs] == ["ftjob-2", "ftjob-1"]
    assert seen[0]["metadata[ftops_project]"] == "p"
    assert seen[1]["after"] == "ftjob-2"


# ---- creates ----------------------------------------------------------------------------------


def test_create_is_retried_on_429_only() -> None:
    script = Script(_error(429, "busy", {"retry-after-ms": "1500"}), httpx2.Response(200, json=_job()))
    provider, policy = make_provider(script)
    job = provider.create_job(spec("gpt-4o-mini-2024-07-18"), "file-1", None)
    assert job.id == "ftjob-1"
    assert policy.waits == [1.5]
    assert len(script.requests) == 2


@pytest.mark.parametrize(
    "answer",
    [_error(500, "internal"), _error(502, "bad gateway"), httpx2.ReadError("dropped"),
     httpx2.RemoteProtocolError("server closed"), httpx2.ReadTimeout("slow")],
    ids=["500", "502", "read-error", "dropped", "timeout"],
)
def test_create_with_unknown_outcome_is_never_repeated(answer: httpx2.Response | Exception) -> None:
    script = Script(answer, httpx2.Response(200, json=_job()))
    provider, _ = make_provider(script)
    with pytest.raises(errors.OutcomeUnknownError) as caught:
        provider.create_job(spec("m"), "file-1", None)
    assert "jobs.x" in str(caught.value)
    assert len(script.requests) == 1


def test_create_is_retried_when_the_connection_was_never_made() -> None:
    script = Script(httpx2.ConnectError("refused"), httpx2.Response(200, json=_job()))
    provider, _ = make_provider(script)
    assert provider.create_job(spec("m"), "file-1", None).id == "ftjob-1"
    assert len(script.requests) == 2


def test_upload_resends_the_whole_file_after_a_429(tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    data.write_bytes(b'{"messages": []}\n' * 100)
    bodies: list[bytes] = []

    def ok(request: httpx2.Request) -> httpx2.Response:
        bodies.append(request.content)
        return httpx2.Response(200, json=_file("file-9", "ftops-p--d--abc.jsonl"))

    def refused(request: httpx2.Request) -> httpx2.Response:
        bodies.append(request.content)
        return _error(429, "busy", {"retry-after": "0"})

    provider, _ = make_provider(Script(refused, ok))
    sent: list[int] = []
    file = provider.upload(data, "ftops-p--d--abc.jsonl", data.stat().st_size, progress=sent.append)
    assert file.id == "file-9"
    assert sum(sent) == data.stat().st_size  # streamed progress, not counted twice on the retry
    assert len(bodies) == 2
    assert all(data.read_bytes() in body for body in bodies)


def test_large_files_go_in_parts_in_order(tmp_path: Path) -> None:
    data = tmp_path / "big.jsonl"
    payload = bytes(range(256)) * 40  # 10,240 bytes → 3 parts of 4,096
    data.write_bytes(payload)
    parts: dict[str, bytes] = {}
    completed: list[Any] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        if path.endswith("/uploads"):
            return httpx2.Response(200, json={"id": "upload_1", "object": "upload", "bytes": len(payload),
                                              "created_at": 1, "expires_at": 9, "filename": "big.jsonl",
                                              "purpose": "fine-tune", "status": "pending"})
        if path.endswith("/parts"):
            body = request.content
            part_id = f"part_{len(parts)}"
            parts[part_id] = body
            return httpx2.Response(200, json={"id": part_id, "object": "upload.part", "created_at": 1,
                                              "upload_id": "upload_1"})
        completed.append(json.loads(request.content))
        return httpx2.Response(200, json={"id": "upload_1", "object": "upload", "bytes": len(payload),
                                          "created_at": 1, "expires_at": 9, "filename": "big.jsonl",
                                          "purpose": "fine-tune", "status": "completed",
                                          "file": _file("file-big", "big.jsonl")})

    provider, _ = make_provider(Script(*[handler] * 5), plain_upload_limit=4096, part_size=4096)
    sent: list[int] = []
    file = provider.upload(data, "big.jsonl", len(payload), progress=sent.append)
    assert file.id == "file-big"
    assert sum(sent) == len(payload)
    ordered = completed[0]["part_ids"]
    assert len(ordered) == 3
    joined = b"".join(parts[p] for p in ordered)
    assert payload[:4096] in parts[ordered[0]] and payload[8192:] in parts[ordered[2]]
    assert len(joined) >= len(payload)


# ---- error mapping --------------------------------------------------------------------------------


def test_401_names_the_key_variable_without_printing_the_key() -> None:
    provider, _ = make_provider(Script(_error(401, f"Incorrect API key provided: {FAKE_KEY}")))
    with pytest.raises(errors.AuthenticationError) as caught:
        provider.list_models()
    assert FAKE_KEY not in str(caught.value)
    assert "OPENAI_API_KEY" in (caught.value.hint or "")


def test_403_on_model_delete_says_the_owner_role_is_needed() -> None:
    provider, _ = make_provider(Script(_error(403, "You have insufficient permissions")))
    with pytest.raises(errors.PermissionDeniedError) as caught:
        provider.delete_model("ft:gpt-4o-mini:org::abc")
    assert "Owner role" in (caught.value.hint or "")


def test_404_on_delete_means_already_gone() -> None:
    provider, _ = make_provider(Script(_error(404, "No such File object")))
    assert provider.delete_file("file-1") is False


def test_400_keeps_the_service_message_and_param() -> None:
    provider, _ = make_provider(Script(_error(400, "invalid model", param="model")))
    with pytest.raises(errors.ProviderError) as caught:
        provider.create_job(spec("nope"), "file-1", None)
    assert type(caught.value) is errors.ProviderError
    assert str(caught.value) == "create job jobs.x: invalid model (param: model) (HTTP 400)"


# ---- Retry-After parsing ----------------------------------------------------------------------


def test_retry_after_forms() -> None:
    assert retry_after_seconds(httpx2.Headers({"retry-after": "3"})) == 3.0
    assert retry_after_seconds(httpx2.Headers({"retry-after-ms": "250"})) == 0.25
    assert retry_after_seconds(httpx2.Headers({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert retry_after_seconds(httpx2.Headers({"retry-after": "soon"})) is None
    assert retry_after_seconds(httpx2.Headers({})) is None


@given(st.text(max_size=60))
def test_retry_after_never_raises(value: str) -> None:
    try:
        headers = httpx2.Headers({"retry-after": value, "retry-after-ms": value})
    except (ValueError, UnicodeError, TypeError):
        return  # not a header httpx2 would ever hand us
    result = retry_after_seconds(headers)
    assert result is None or result >= 0
