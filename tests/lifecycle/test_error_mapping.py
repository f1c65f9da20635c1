"""The provider's mapping of refusals: explained only for job creation, and the daily job
quota's 429 never retried (waiting seconds cannot cure it), other 429s still are."""

from __future__ import annotations

from typing import Any

import httpx2
import openai
import pytest

from ftops import errors
from ftops.provider.errors import translate
from ftops.provider.retry import Kind, RetryPolicy, call


def _status_error(status: int, code: str, message: str = "the service's words") -> openai.APIStatusError:
    request = httpx2.Request("POST", "http://127.0.0.1:9/v1/fine_tuning/jobs")
    response = httpx2.Response(status, request=request)
    body = {"error": {"type": "invalid_request_error", "message": message, "param": None, "code": code}}
    kind: Any = {400: openai.BadRequestError, 403: openai.PermissionDeniedError,
                 429: openai.RateLimitError}[status]
    error: openai.APIStatusError = kind(message, response=response, body=body)
    return error


def test_a_refused_job_creation_is_explained_with_the_service_words_as_hint() -> None:
    mapped = translate(_status_error(403, "fine_tuning_not_available"), "create job jobs.x")
    assert isinstance(mapped, errors.PermissionDeniedError) and mapped.status == 403
    assert str(mapped).startswith("create job jobs.x: this organization has no fine-tuning access")
    assert mapped.hint == "The service said: the service's words"


def test_the_same_code_elsewhere_keeps_the_service_message() -> None:
    mapped = translate(_status_error(400, "model_not_available", "Model m is gone."), "chat with m")
    assert str(mapped) == "chat with m: Model m is gone. (HTTP 400)"


def test_an_unknown_code_keeps_the_service_message() -> None:
    mapped = translate(_status_error(400, "something_new", "New rule."), "create job jobs.x")
    assert str(mapped) == "create job jobs.x: New rule. (HTTP 400)"


@pytest.mark.parametrize(("code", "attempts"), [("daily_rate_limit_exceeded", 1), ("rate_limit_exceeded", 3)])
def test_only_the_daily_job_quota_is_not_retried(code: str, attempts: int) -> None:
    tries: list[int] = []

    def create() -> None:
        tries.append(1)
        raise _status_error(429, code)

    policy = RetryPolicy(attempts=3, sleep=lambda _: None)
    with pytest.raises(errors.RateLimitedError):
        call(policy, Kind.CREATE, "create job jobs.x", create)
    assert len(tries) == attempts
