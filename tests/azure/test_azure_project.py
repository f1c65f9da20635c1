"""The example project on ``provider: {type: azure, endpoint, api_version}`` end to end, through
the SDK's ``AzureOpenAI`` client against the emulator's Azure form: plan, apply --wait, chat,
status, output; and each way the Azure settings can be wrong, as one clear line."""

from __future__ import annotations

import json
from pathlib import Path

from ftops.emulator import RunningEmulator

from .conftest import API_VERSION, AZURE_KEY, Ftops


def state(project: Path) -> dict[str, dict[str, object]]:
    resources: dict[str, dict[str, object]] = json.loads(
        (project / "state" / "ftops.state.json").read_text())["resources"]
    return resources


def test_plan_apply_wait_chat_status_on_azure(project: Path, emulator: RunningEmulator, ftops: Ftops) -> None:
    planned = ftops("plan", "--detailed-exitcode")
    assert planned.code == 2, planned.err
    assert "Plan: 4 to add, 0 to change, 0 to destroy." in planned.out
    # Azure's models listing gives lifecycle dates as deprecation.inference; the warning still shows.
    assert "base model gpt-4.1-mini-2025-04-14 shuts down on 2027-01-14" in planned.out

    applied = ftops("apply", "--auto-approve", "--wait")
    assert applied.code == 0, applied.out + applied.err
    assert "jobs.chunsik: succeeded  180/180 steps (100%)" in applied.out
    model_id = state(project)["models.chunsik"]["model_id"]
    assert isinstance(model_id, str) and model_id.startswith("ft:gpt-4.1-mini-2025-04-14:")

    reply = ftops("chat", "chunsik", "Who is Chunsik?")
    assert reply.code == 0, reply.err
    assert "Ryan" in reply.out  # the fine-tuned model answered, through its deployment

    status = ftops("status")
    assert status.code == 0, status.err
    assert "succeeded" in status.out and f"models.chunsik -> {model_id}" in status.out
    shown = json.loads(ftops("status", "--json").out)["models"]
    assert [(m["base_model"], m["shutdown_date"]) for m in shown] == [
        ("gpt-4.1-mini-2025-04-14", "2027-01-14")
    ]
    assert ftops("output", "chunsik").out.strip() == model_id
    assert ftops("plan", "--detailed-exitcode").code == 0  # converged: nothing left to do

    requests = emulator.requests()
    assert requests and all(f"api-version={API_VERSION}" in r.query for r in requests)  # all Azure form
    # The chat went to the deployment named after the model (the model check did, too).
    chats = [r for r in requests if r.path == "/v1/chat/completions"]
    assert len(chats) == 2 and all(r.status == 200 for r in chats)
    # The key is in no file ftops wrote.
    for path in project.rglob("*"):
        if path.is_file():
            assert AZURE_KEY.encode() not in path.read_bytes(), path


def test_an_entra_id_token_works_in_place_of_a_key(project: Path, ftops: Ftops) -> None:
    result = ftops("plan", env={"AZURE_OPENAI_AD_TOKEN": "eyJ0eXAiOiJKV1QiLCJhbGciOi.entra-token"})
    assert result.code == 0, result.err
    assert "Plan: 4 to add" in result.out


def test_no_key_at_all_stops_before_any_request(project: Path, emulator: RunningEmulator,
                                                ftops: Ftops) -> None:
    result = ftops("plan", env={})
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "Error: AZURE_OPENAI_API_KEY is not set (nor an Entra token in AZURE_OPENAI_AD_TOKEN): the azure "
        "provider needs one in the environment"
    )
    assert emulator.requests() == []


def test_a_wrong_key_is_one_line_with_what_to_check(project: Path, ftops: Ftops) -> None:
    wrong = "azure-wrong-key-0123456789"
    result = ftops("plan", env={"AZURE_OPENAI_API_KEY": wrong})
    assert result.code == 1
    lines = result.err.splitlines()
    assert lines[0].startswith("Error: list ") and lines[0].endswith(
        "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid "
        "key for an active subscription and use a correct regional API endpoint for your resource. (HTTP 401)"
    )
    assert "AZURE_OPENAI_API_KEY" in lines[1]
    assert "Traceback" not in result.err and wrong not in result.err + result.out


def test_an_api_version_azure_does_not_know_is_one_line_with_the_fix(
    project: Path, emulator: RunningEmulator, ftops: Ftops
) -> None:
    manifest = project / "manifests" / "kakao-friends.yaml"
    text = manifest.read_text().replace(f"api_version: {API_VERSION}", "api_version: 2019-01-01")
    manifest.write_text(text)
    result = ftops("plan")
    assert result.code == 1
    first, hint = result.err.splitlines()[:2]
    assert first.startswith("Error: list ") and first.endswith("API version not supported (HTTP 400)")
    assert "provider.api_version" in hint
    assert not (project / "state" / "ftops.state.json").exists()


def test_a_wrong_endpoint_is_not_found_with_what_to_check(project: Path, emulator: RunningEmulator,
                                                          ftops: Ftops) -> None:
    manifest = project / "manifests" / "kakao-friends.yaml"
    # An endpoint with a path: the SDK then sends /x/openai/..., which Azure does not serve.
    root = emulator.root_url
    manifest.write_text(manifest.read_text().replace(f"endpoint: {root}", f"endpoint: {root}/x"))
    result = ftops("plan")
    assert result.code == 1
    assert "(HTTP 404)" in result.err.splitlines()[0]


def test_chat_with_a_model_that_has_no_deployment_says_how_to_deploy(project: Path, ftops: Ftops) -> None:
    result = ftops("chat", "ft:gpt-4.1-mini-2025-04-14:other:x:abc", "hi")
    assert result.code == 1
    first, hint = result.err.splitlines()[:2]
    assert first.startswith("Error: chat with ft:gpt-4.1-mini-2025-04-14:other:x:abc: The API deployment")
    assert "deployment" in hint and "docs/azure.md" in hint

