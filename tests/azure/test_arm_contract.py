"""The emulator's management plane answers in the shapes of Azure's published ARM spec (2025-06-01,
the copy in ``tests/fixtures/azure-arm``), validated with jsonschema; and it behaves as Azure does
around deployments: Creating then Succeeded with time, 15-day idle deletion on a clock a test moves,
chat through a deployment, a model with deployments not deletable, PUT by name idempotent."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from ftops.emulator import EmulatorConfig, RunningEmulator, start_background
from ftops.emulator.plant import plant, upload

FIXTURES = Path(__file__).parent.parent / "fixtures" / "azure-arm"
SPEC = FIXTURES / "cognitiveservices-2025-06-01-deployments-excerpt.json"
ACCOUNT = "/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/a"
VERSION = "?api-version=2025-06-01"
AUTH = {"Authorization": "Bearer any"}

# The definitions the excerpt leaves dangling, from ARM's common types (ProxyResource: id, name,
# type, all read-only strings; systemData: who and when) and the full spec (Sku: name required).
_COMMON: dict[str, Any] = {
    "ProxyResource": {
        "type": "object",
        "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "type": {"type": "string"}},
    },
    "systemData": {
        "type": "object",
        "properties": {
            "createdAt": {"type": "string", "format": "date-time"},
            "lastModifiedAt": {"type": "string"},
        },
    },
    "Sku": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "tier": {"type": "string"},
            "size": {"type": "string"},
            "family": {"type": "string"},
            "capacity": {"type": "integer"},
        },
    },
    "CallRateLimit": {"type": "object"},
    "ThrottlingRule": {"type": "object"},
    "DeploymentCapacitySettings": {"type": "object"},
    "CapacityConfig": {"type": "object"},
    "PatchResourceTagsAndSku": {"type": "object"},
}


def _resolved(node: Any) -> Any:
    """Swagger 2.0 refs to common types point at our stand-ins; every ref at ``$defs``."""
    if isinstance(node, list):
        return [_resolved(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            out[key] = "#/$defs/" + value.rsplit("/", 1)[-1]
        elif not key.startswith("x-ms-"):
            out[key] = _resolved(value)
    return out


def validator(definition: str) -> Draft202012Validator:
    spec = json.loads(SPEC.read_text())
    defs = {**_COMMON, **_resolved(copy.deepcopy(spec["definitions"]))}
    schema = {"$defs": defs, "$ref": f"#/$defs/{definition}"}
    # Strict where the spec is closed: a Deployment's and its properties' keys are all declared.
    for name in ("DeploymentProperties", "DeploymentModel"):
        defs[name] = {**defs[name], "additionalProperties": False}
    return Draft202012Validator(schema)


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[RunningEmulator]:
    with start_background(EmulatorConfig(data_dir=tmp_path / "emulator", speed=1.0)) as emu:
        yield emu


@pytest.fixture
def model(emulator: RunningEmulator, tmp_path: Path) -> str:
    data = tmp_path / "train.jsonl"
    line = {
        "messages": [
            {"role": "user", "content": "Who is Chunsik?"},
            {"role": "assistant", "content": "Ryan's cat."},
        ]
    }
    data.write_text("\n".join(json.dumps(line) for _ in range(10)) + "\n")
    return plant(emulator.runtime, "gpt-4.1-mini-2025-04-14", upload(emulator.runtime, data), "chunsik").model


def put(emulator: RunningEmulator, name: str, model: str, capacity: int = 1) -> httpx2.Response:
    body = {
        "sku": {"name": "Standard", "capacity": capacity},
        "properties": {"model": {"format": "OpenAI", "name": model, "version": "1"}},
    }
    return httpx2.put(f"{emulator.root_url}{ACCOUNT}/deployments/{name}{VERSION}", json=body, headers=AUTH)


def get(emulator: RunningEmulator, path: str) -> httpx2.Response:
    return httpx2.get(f"{emulator.root_url}{ACCOUNT}/deployments{path}{VERSION}", headers=AUTH)


def advance(emulator: RunningEmulator, seconds: float) -> None:
    assert httpx2.put(f"{emulator.root_url}/_emulator/clock", json={"advance_s": seconds}).status_code == 200


def chat(emulator: RunningEmulator, deployment: str) -> httpx2.Response:
    return httpx2.post(
        f"{emulator.root_url}/openai/deployments/{deployment}/chat/completions?api-version=2025-04-01-preview",
        json={"messages": [{"role": "user", "content": "Who is Chunsik?"}]},
        headers={"api-key": "k"},
    )


def test_the_spec_examples_validate_and_a_wrong_body_does_not() -> None:
    example = json.loads((FIXTURES / "GetDeployment.json").read_text())["responses"]["200"]["body"]
    validator("Deployment").validate(example)
    broken = copy.deepcopy(example)
    broken["properties"]["provisioningState"] = "Done"  # not in the spec's enum
    with pytest.raises(ValidationError):
        validator("Deployment").validate(broken)


def test_put_get_list_delete_answer_in_the_spec_shapes(emulator: RunningEmulator, model: str) -> None:
    created = put(emulator, "chunsik-1", model)
    assert created.status_code == 201
    validator("Deployment").validate(created.json())
    assert created.json()["properties"]["provisioningState"] == "Creating"
    assert put(emulator, "chunsik-1", model).status_code == 200  # by name: the same deployment
    listed = get(emulator, "")
    validator("DeploymentListResult").validate(listed.json())
    assert [d["name"] for d in listed.json()["value"]] == ["chunsik-1"]
    one = get(emulator, "/chunsik-1")
    validator("Deployment").validate(one.json())
    assert one.json()["properties"]["model"] == {"format": "OpenAI", "name": model, "version": "1"}
    gone = httpx2.delete(f"{emulator.root_url}{ACCOUNT}/deployments/chunsik-1{VERSION}", headers=AUTH)
    assert gone.status_code == 200
    again = httpx2.delete(f"{emulator.root_url}{ACCOUNT}/deployments/chunsik-1{VERSION}", headers=AUTH)
    assert again.status_code == 204  # ARM: 204 when it does not exist
    assert get(emulator, "/chunsik-1").json()["error"]["code"] == "DeploymentNotFound"


def test_provisioning_takes_time_then_chat_answers_through_the_deployment(
    emulator: RunningEmulator, model: str
) -> None:
    put(emulator, "chunsik-1", model)
    assert chat(emulator, "chunsik-1").status_code == 404  # still Creating
    advance(emulator, 60)
    assert get(emulator, "/chunsik-1").json()["properties"]["provisioningState"] == "Succeeded"
    answered = chat(emulator, "chunsik-1")
    assert answered.status_code == 200 and "Ryan" in answered.json()["choices"][0]["message"]["content"]


def test_fifteen_idle_days_delete_a_deployment_and_traffic_keeps_it(
    emulator: RunningEmulator, model: str
) -> None:
    put(emulator, "busy", model)
    put(emulator, "idle", model)
    for _ in range(4):  # 16 days, with a chat through "busy" every 4
        advance(emulator, 4 * 86400)
        assert chat(emulator, "busy").status_code == 200
    assert [d["name"] for d in get(emulator, "").json()["value"]] == ["busy"]


def test_a_model_with_deployments_is_not_deleted_until_they_are(
    emulator: RunningEmulator, model: str
) -> None:
    put(emulator, "chunsik-1", model)
    refused = httpx2.delete(f"{emulator.root_url}/v1/models/{model}", headers=AUTH)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "conflict"
    httpx2.delete(f"{emulator.root_url}{ACCOUNT}/deployments/chunsik-1{VERSION}", headers=AUTH)
    assert httpx2.delete(f"{emulator.root_url}/v1/models/{model}", headers=AUTH).status_code == 200


def test_what_arm_checks_first(emulator: RunningEmulator, model: str) -> None:
    url = f"{emulator.root_url}{ACCOUNT}/deployments"
    assert httpx2.get(url, headers=AUTH).json()["error"]["code"] == "MissingApiVersionParameter"
    assert httpx2.get(url + "?api-version=1999-01-01", headers=AUTH).status_code == 400
    assert httpx2.get(url + VERSION).status_code == 401
    quota = put(emulator, "huge", model, capacity=1000)
    assert quota.status_code == 400 and quota.json()["error"]["code"] == "InsufficientQuota"
    unknown = put(emulator, "ghost", "gpt-4.1-mini-2025-04-14.ft-doesnotexist")
    assert unknown.status_code == 400
