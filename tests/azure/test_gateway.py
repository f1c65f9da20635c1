"""The emulator's Azure form: ``/openai/...`` paths with ``api-version``, the ``api-key`` header or an
Entra bearer token, deployments for chat; wrong or missing pieces answered as Azure answers them."""

from __future__ import annotations

from typing import Any

import httpx2
import openai
import pytest

from ftops.emulator import RunningEmulator

from .conftest import API_VERSION, AZURE_KEY

BASE = "gpt-4o-mini-2024-07-18"


def azure(emulator: RunningEmulator, **kwargs: Any) -> openai.AzureOpenAI:
    settings: dict[str, Any] = {"api_key": AZURE_KEY, "api_version": API_VERSION, **kwargs}
    return openai.AzureOpenAI(azure_endpoint=emulator.root_url, max_retries=0, **settings)


def test_the_sdk_azure_client_lists_and_chats(emulator: RunningEmulator) -> None:
    client = azure(emulator)
    assert BASE in {m.id for m in client.models.list()}
    reply = client.chat.completions.create(model=BASE, messages=[{"role": "user", "content": "hello"}])
    assert reply.choices[0].message.content
    requests = emulator.requests()
    assert [(r.method, r.path) for r in requests] == [("GET", "/v1/models"), ("POST", "/v1/chat/completions")]
    assert all(f"api-version={API_VERSION}" in r.query for r in requests)


def test_models_come_in_azure_shape_with_lifecycle_dates(emulator: RunningEmulator) -> None:
    """Azure lists ``created_at`` and ``deprecation`` (unix seconds), not ``shutdown_date``."""
    listed = azure(emulator).models.with_raw_response.list().http_response.json()["data"]
    base = next(m for m in listed if m["id"] == BASE)
    assert "shutdown_date" not in base and "owned_by" not in base and base["created_at"] > 0
    assert base["deprecation"]["inference"] == 1_799_884_800  # 2027-01-14, the catalog's date
    one = raw(emulator, "GET", f"/openai/models/{BASE}", params={"api-version": API_VERSION},
              headers={"api-key": AZURE_KEY}).json()
    assert one["deprecation"] == base["deprecation"]


def test_an_entra_token_is_accepted_as_a_bearer(emulator: RunningEmulator) -> None:
    client = openai.AzureOpenAI(azure_endpoint=emulator.root_url, api_version=API_VERSION,
                                azure_ad_token="eyJ0eXAiOiJKV1QiLCJhbGciOi.entra.token", max_retries=0)
    assert client.models.retrieve(BASE).id == BASE


def raw(emulator: RunningEmulator, method: str, path: str, **kwargs: Any) -> httpx2.Response:
    with httpx2.Client(base_url=emulator.root_url) as http:
        return http.request(method, path, **kwargs)


def test_without_api_version_it_is_not_found(emulator: RunningEmulator) -> None:
    answer = raw(emulator, "GET", "/openai/models", headers={"api-key": AZURE_KEY})
    assert answer.status_code == 404
    assert answer.json() == {"error": {"code": "404", "message": "Resource not found"}}


def test_an_unknown_api_version_is_a_bad_request(emulator: RunningEmulator) -> None:
    with pytest.raises(openai.BadRequestError, match="API version not supported"):
        azure(emulator, api_version="2099-01-01").models.list()


@pytest.mark.parametrize("headers", [{}, {"api-key": "not-the-key-0000"}, {"authorization": "Basic abc"}])
def test_a_missing_or_wrong_key_is_denied(emulator: RunningEmulator, headers: dict[str, str]) -> None:
    answer = raw(emulator, "GET", "/openai/models", params={"api-version": API_VERSION}, headers=headers)
    assert answer.status_code == 401
    assert answer.json()["error"]["message"].startswith("Access denied due to invalid subscription key")
    assert emulator.requests() == []  # refused before the API: nothing reached the routes


def test_the_deployment_in_the_path_names_the_model(emulator: RunningEmulator) -> None:
    body = {"model": "a-model-that-does-not-exist", "messages": [{"role": "user", "content": "hi"}]}
    answer = raw(emulator, "POST", f"/openai/deployments/{BASE}/chat/completions",
                 params={"api-version": API_VERSION}, headers={"api-key": AZURE_KEY}, json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["model"] == BASE


def test_a_deployment_that_does_not_exist_is_deployment_not_found(emulator: RunningEmulator) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        azure(emulator).chat.completions.create(model="ft:gpt-4o-mini:nobody::none",
                                                messages=[{"role": "user", "content": "hi"}])
    assert caught.value.body["code"] == "DeploymentNotFound"  # type: ignore[index]


def test_the_openai_form_is_untouched(emulator: RunningEmulator) -> None:
    """The Azure key list does not apply to /v1: the OpenAI routes keep taking any bearer key."""
    client = openai.OpenAI(base_url=emulator.base_url, api_key="sk-any-key-at-all", max_retries=0)
    assert BASE in {m.id for m in client.models.list()}
    assert emulator.requests()[0].query == ""
