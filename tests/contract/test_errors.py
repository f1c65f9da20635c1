"""Errors in the service's shape and the SDK's classes; bad input never crashes the server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import openai
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai import OpenAI

from ftops.emulator import RunningEmulator

from .schemas import problems

AUTH = {"Authorization": "Bearer test-key"}


def _error(response: httpx2.Response) -> dict[str, Any]:
    body = response.json()
    assert problems("ErrorResponse", body) == []
    error: dict[str, Any] = body["error"]
    return error


def test_missing_or_wrong_auth_is_401(emulator: RunningEmulator, client: OpenAI) -> None:
    bare = httpx2.get(emulator.base_url + "/models")
    assert bare.status_code == 401
    assert "API key" in _error(bare)["message"]
    basic = client.with_options(default_headers={"Authorization": "Basic abc"})
    with pytest.raises(openai.AuthenticationError):
        basic.models.list()


def test_unknown_routes_and_methods(emulator: RunningEmulator) -> None:
    missing = httpx2.get(emulator.base_url + "/nothing/here", headers=AUTH)
    assert missing.status_code == 404
    assert _error(missing)["message"] == "Invalid URL (GET /v1/nothing/here)"
    wrong_method = httpx2.put(emulator.base_url + "/files", headers=AUTH)
    assert wrong_method.status_code == 405
    _error(wrong_method)


@pytest.mark.parametrize(
    ("path", "body", "content_type"),
    [
        ("/fine_tuning/jobs", b"{not json", "application/json"),
        ("/fine_tuning/jobs", b"[1, 2]", "application/json"),
        ("/fine_tuning/jobs", b"\xff\xfe", "application/json"),
        ("/chat/completions", b"", "application/json"),
        ("/uploads", b"null", "application/json"),
        ("/files", b"--xyz\r\nContent-Disposition: form-data\r\n\r\n", "multipart/form-data; boundary=xyz"),
        ("/files", b"garbage", "multipart/form-data"),
        ("/files", b"purpose=fine-tune", "application/x-www-form-urlencoded"),
        ("/files", b"{}", "application/json"),
    ],
)
def test_malformed_bodies_get_a_clean_400(
    emulator: RunningEmulator, path: str, body: bytes, content_type: str
) -> None:
    answer = httpx2.post(
        emulator.base_url + path, content=body, headers={**AUTH, "Content-Type": content_type}
    )
    assert answer.status_code == 400, answer.text
    assert _error(answer)["type"] == "invalid_request_error"


def test_unknown_ids_are_404_with_the_sdk_class(client: OpenAI) -> None:
    for call in (
        lambda: client.files.retrieve("file-missing"),
        lambda: client.files.delete("file-missing"),
        lambda: client.fine_tuning.jobs.retrieve("ftjob-missing"),
        lambda: client.fine_tuning.jobs.list_events("ftjob-missing"),
        lambda: client.fine_tuning.jobs.checkpoints.list("ftjob-missing"),
        lambda: client.uploads.cancel("upload_missing"),
        lambda: client.models.retrieve("no-such-model"),
    ):
        with pytest.raises(openai.NotFoundError):
            call()


_PATHS = st.sampled_from(
    [
        "/files",
        "/uploads",
        "/fine_tuning/jobs",
        "/chat/completions",
        "/uploads/upload_x/complete",
        "/fine_tuning/jobs/ftjob-x/pause",
    ]
)
_TYPES = st.sampled_from(
    ["application/json", "multipart/form-data; boundary=b", "multipart/form-data", "text/plain", ""]
)
_JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=_PATHS, content_type=_TYPES, raw=st.binary(max_size=300), structured=_JSONISH)
def test_untrusted_bodies_never_cause_a_server_error(
    emulator: RunningEmulator, path: str, content_type: str, raw: bytes, structured: Any
) -> None:
    with httpx2.Client(base_url=emulator.base_url, headers=AUTH) as http:
        for body in (raw, httpx2.Request("POST", "/", json=structured).content):
            answer = http.post(path, content=body, headers={"Content-Type": content_type})
            assert answer.status_code < 500, (path, body, answer.text)
            if answer.status_code >= 400:
                _error(answer)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.dictionaries(
        st.sampled_from(
            [
                "model",
                "training_file",
                "suffix",
                "seed",
                "metadata",
                "hyperparameters",
                "method",
                "integrations",
                "validation_file",
            ]
        ),
        _JSONISH,
    )
)
def test_job_requests_of_any_shape_are_refused_cleanly(
    emulator: RunningEmulator, body: dict[str, Any]
) -> None:
    answer = httpx2.post(emulator.base_url + "/fine_tuning/jobs", json=body, headers=AUTH)
    assert answer.status_code in (400, 404), answer.text  # no such training file: never accepted
    _error(answer)


def test_oversized_json_bodies_are_refused(emulator: RunningEmulator) -> None:
    huge = b'{"model": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    answer = httpx2.post(
        emulator.base_url + "/fine_tuning/jobs",
        content=huge,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert answer.status_code == 400 and "too large" in _error(answer)["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming
        yield b'{"model": "'
        for _ in range(5):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    streamed = httpx2.post(emulator.base_url + "/chat/completions", content=chunks(), headers=AUTH)
    assert streamed.status_code == 400


def test_a_revoked_key_is_401_quoting_only_its_ends(emulator: RunningEmulator, client: OpenAI) -> None:
    revoked = "sk-test-revoked-0123456789abcdef"
    emulator.set_revoked_keys({revoked})
    answer = httpx2.get(emulator.base_url + "/models", headers={"Authorization": f"Bearer {revoked}"})
    assert answer.status_code == 401
    error = _error(answer)
    assert error["code"] == "invalid_api_key"
    assert "sk-" in error["message"] and "cdef" in error["message"] and revoked not in error["message"]
    # As Azure answers a key it does not know, in its own shape.
    azure = httpx2.get(emulator.root_url + "/openai/models", params={"api-version": "2025-04-01-preview"},
                       headers={"api-key": revoked})
    assert azure.status_code == 401 and azure.json()["error"]["code"] == "401"
    client.models.list()  # other keys still work
