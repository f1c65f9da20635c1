"""Declared deployments (``models.<name>.deployment``) through the CLI, against the emulator's Azure
data plane and management plane over real HTTP: deploy before the checks, check through the
deployment, promote, retire the previous deployment before the previous model, converge, see an
idle-deleted deployment as drift and recreate it, and destroy deployments first."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
import pytest

from ftops.emulator import RunningEmulator
from ftops.provider.deployments import deployment_name

from .conftest import AZURE_KEY, Ftops

ENV = {"AZURE_OPENAI_API_KEY": AZURE_KEY, "AZURE_MANAGEMENT_TOKEN": "any-token-the-emulator-takes"}
ARM = "/subscriptions/sub-1/resourceGroups/rg-ft/providers/Microsoft.CognitiveServices/accounts/acct-ft"


def deployed(project: Path, emulator: RunningEmulator, *, keep_previous: int = 0) -> None:
    """The example on Azure, with the management plane's coordinates and a deployment of its name."""
    manifest = project / "manifests" / "kakao-friends.yaml"
    text = manifest.read_text()
    text = text.replace(
        "  api_version:",
        f"  subscription_id: sub-1\n  resource_group: rg-ft\n  account_name: acct-ft\n"
        f"  management_endpoint: {emulator.root_url}\n  api_version:",
        1,
    )
    text = text.replace(
        "    keep_previous: 1        # keep one earlier model for rollback\n",
        f"    keep_previous: {keep_previous}\n    deployment: {{sku: Standard, capacity: 2}}\n",
        1,
    )
    assert "deployment: {sku" in text and "account_name: acct-ft" in text
    manifest.write_text(text)


def state(project: Path) -> dict[str, dict[str, object]]:
    resources: dict[str, dict[str, object]] = json.loads(
        (project / "state" / "ftops.state.json").read_text()
    )["resources"]
    return resources


def arm_deployments(emulator: RunningEmulator) -> list[dict[str, object]]:
    answer = httpx2.get(
        f"{emulator.root_url}{ARM}/deployments?api-version=2025-06-01", headers={"Authorization": "Bearer t"}
    )
    assert answer.status_code == 200
    value: list[dict[str, object]] = answer.json()["value"]
    return value


def retrain(project: Path) -> None:
    """A changed hyperparameter: a new job, a new model, a promotion."""
    manifest = project / "manifests" / "kakao-friends.yaml"
    manifest.write_text(manifest.read_text().replace("n_epochs: 3", "n_epochs: 2"))


@pytest.fixture
def azure_project(project: Path, emulator: RunningEmulator) -> Path:
    deployed(project, emulator)
    return project


def test_apply_deploys_checks_through_the_deployment_promotes_and_converges(
    azure_project: Path, emulator: RunningEmulator, ftops: Ftops
) -> None:
    planned = ftops("plan", env=ENV)
    assert planned.code == 0, planned.err
    assert "Hosting (deployments, billed by the hour while they exist):" in planned.out
    assert "create  models.chunsik  chunsik-…  Standard x2  $1.70/h  $1,241.00/month" in planned.out

    applied = ftops("apply", "--auto-approve", "--wait", env=ENV)
    assert applied.code == 0, applied.out + applied.err
    model_id = str(state(azure_project)["models.chunsik"]["model_id"])
    name = deployment_name("chunsik", model_id)
    assert state(azure_project)["models.chunsik"]["deployment"] == {
        "name": name,
        "model_id": model_id,
        "sku": "Standard",
        "capacity": 2,
        "created_at": state(azure_project)["models.chunsik"]["deployment"]["created_at"],  # type: ignore[index]
    }
    [one] = arm_deployments(emulator)
    assert one["name"] == name and one["properties"]["model"]["name"] == model_id  # type: ignore[index]
    assert one["tags"] == {
        "ftops_project": "kakao-friends",
        "ftops_resource": "models.chunsik",
        "ftops_model": model_id,
    }
    log = [(r.method, r.path) for r in emulator.requests()]
    put = log.index(("PUT", f"{ARM}/deployments/{name}"))
    # The check asked the new model through its deployment, after the deployment was made.
    chats = [i for i, entry in enumerate(log) if entry == ("POST", "/v1/chat/completions")]
    assert chats and min(chats) > put
    assert ftops("output", "chunsik.deployment", env=ENV).out.strip() == name
    reply = ftops("chat", "chunsik", "Who is Chunsik?", env=ENV)
    assert reply.code == 0 and "Ryan" in reply.out, reply.err

    again = ftops("plan", "--detailed-exitcode", env=ENV)
    assert again.code == 0, again.out + again.err
    assert "No changes." in again.out
    assert f"keep    models.chunsik  {name}  Standard x2  $1.70/h  $1,241.00/month" in again.out

    status = ftops("status", env=ENV)
    assert f"deployment {name} (Standard x2) since " in status.out
    assert "$1.70 at $1.70/h (table 2025-06-01 (unconfirmed))" in status.out


def test_a_promotion_retires_the_previous_deployment_before_the_previous_model(
    azure_project: Path, emulator: RunningEmulator, ftops: Ftops
) -> None:
    assert ftops("apply", "--auto-approve", "--wait", env=ENV).code == 0
    old_model = str(state(azure_project)["models.chunsik"]["model_id"])
    old = deployment_name("chunsik", old_model)
    retrain(azure_project)
    emulator.clear_requests()
    applied = ftops("apply", "--auto-approve", "--wait", env=ENV)
    assert applied.code == 0, applied.out + applied.err
    new_model = str(state(azure_project)["models.chunsik"]["model_id"])
    new = deployment_name("chunsik", new_model)
    assert new_model != old_model
    log = [(r.method, r.path) for r in emulator.requests()]
    put_new = log.index(("PUT", f"{ARM}/deployments/{new}"))
    checks = [i for i, entry in enumerate(log) if entry == ("POST", "/v1/chat/completions")]
    delete_old = log.index(("DELETE", f"{ARM}/deployments/{old}"))
    prune_old = log.index(("DELETE", f"/v1/models/{old_model}"))
    assert put_new < min(checks) and max(checks) < delete_old < prune_old
    assert [d["name"] for d in arm_deployments(emulator)] == [new]
    assert ftops("plan", "--detailed-exitcode", env=ENV).code == 0


def test_an_idle_deleted_deployment_is_drift_and_apply_recreates_it(
    azure_project: Path, emulator: RunningEmulator, ftops: Ftops
) -> None:
    assert ftops("apply", "--auto-approve", "--wait", env=ENV).code == 0
    name = str(state(azure_project)["models.chunsik"]["deployment"]["name"])  # type: ignore[index]
    moved = httpx2.put(f"{emulator.root_url}/_emulator/clock", json={"advance_s": 16 * 86400})
    assert moved.status_code == 200
    assert arm_deployments(emulator) == []  # Azure's 15-day idle deletion

    planned = ftops("plan", "--detailed-exitcode", env=ENV)
    assert planned.code == 2, planned.out + planned.err
    assert (
        f"deployment {name} was deleted outside ftops: Azure deletes a fine-tuned deployment after "
        "15 days without traffic" in planned.out
    )
    assert f"recreate deployment {name}" in planned.out

    applied = ftops("apply", "--auto-approve", env=ENV)
    assert applied.code == 0, applied.out + applied.err
    assert [d["name"] for d in arm_deployments(emulator)] == [name]
    assert ftops("plan", "--detailed-exitcode", env=ENV).code == 0


def test_destroy_deletes_deployments_before_models(
    azure_project: Path, emulator: RunningEmulator, ftops: Ftops
) -> None:
    assert ftops("apply", "--auto-approve", "--wait", env=ENV).code == 0
    model_id = str(state(azure_project)["models.chunsik"]["model_id"])
    name = deployment_name("chunsik", model_id)
    emulator.clear_requests()
    destroyed = ftops("destroy", "--auto-approve", env=ENV)
    assert destroyed.code == 0, destroyed.out + destroyed.err
    assert arm_deployments(emulator) == []
    log = [(r.method, r.path) for r in emulator.requests()]
    assert log.index(("DELETE", f"{ARM}/deployments/{name}")) < log.index(
        ("DELETE", f"/v1/models/{model_id}")
    )
    models = httpx2.get(f"{emulator.root_url}/v1/models", headers={"Authorization": "Bearer k"}).json()[
        "data"
    ]
    assert model_id not in {m["id"] for m in models}


def test_a_model_with_a_deployment_cannot_be_deleted(
    azure_project: Path, emulator: RunningEmulator, ftops: Ftops
) -> None:
    assert ftops("apply", "--auto-approve", "--wait", env=ENV).code == 0
    model_id = str(state(azure_project)["models.chunsik"]["model_id"])
    refused = httpx2.delete(
        f"{emulator.root_url}/v1/models/{model_id}", headers={"Authorization": "Bearer k"}
    )
    assert refused.status_code == 409
    assert "has deployments" in refused.json()["error"]["message"]


def test_a_monthly_hosting_budget_refuses_a_plan_above_it(
    azure_project: Path, emulator: RunningEmulator, ftops: Ftops
) -> None:
    manifest = azure_project / "manifests" / "kakao-friends.yaml"
    manifest.write_text(
        manifest.read_text().replace("  max_usd: 5\n", "  max_usd: 5\n  monthly_hosting: 1000\n")
    )
    refused = ftops("plan", env=ENV)
    assert refused.code == 1
    assert (
        "the deployments' run-rate $1,241.00/month is above budget.monthly_hosting $1,000.00" in refused.err
    )
    # The manifests' price wins over the packaged table.
    manifest.write_text(manifest.read_text() + "pricing:\n  gpt-4.1-mini-2025-04-14: {hosting: 0.5}\n")
    priced = ftops("plan", env=ENV)
    assert priced.code == 0, priced.err
    assert "Standard x2  $0.50/h  $365.00/month" in priced.out
