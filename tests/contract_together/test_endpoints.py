"""Dedicated endpoints through the together 3.1.1 SDK's v2 calls: an endpoint, a deployment of a
fine-tuned model on listed hardware moving from PROVISIONING to READY, chat through the endpoint's
name, replicas updated in place, the delete order, cursor pages, faults and the request log.

The saved spec has only the v1 forms; every v2 answer here is validated against the SDK's own
pydantic types by the response checker (``model_validate``, not the SDK's lenient construction)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from together import APIStatusError, BadRequestError, NotFoundError, Together
from together.types import EndpointDeployment

from ftops.emulator import RunningEmulator

from .conftest import LLAMA_8B, ResponseChecker, wait

PROJECT = "proj-ftops"
HARDWARE = "1x_nvidia_h100_80gb_sxm"


def _fine_tuned(client: Together, training_file: Path) -> str:
    file_id = client.files.upload(file=training_file, purpose="fine-tune").id
    job = client.fine_tuning.create(training_file=file_id, model=LLAMA_8B, suffix="capitals")
    assert wait(client, job.id) == "completed"
    return str(client.fine_tuning.retrieve(job.id).x_model_output_name)


def _ready(client: Together, endpoint_id: str, deployment_id: str) -> EndpointDeployment:
    end = time.monotonic() + 30
    while time.monotonic() < end:
        found = client.endpoints.deployments.retrieve(
            deployment_id, endpoint_id=endpoint_id, project_id=PROJECT
        )
        if found.status.state == "DEPLOYMENT_STATE_READY":
            return found
        time.sleep(0.02)
    raise AssertionError(f"{deployment_id} never became ready")


def test_a_fine_tune_served_on_a_dedicated_endpoint(
    client: Together, emulator: RunningEmulator, training_file: Path, checker: ResponseChecker
) -> None:
    model = _fine_tuned(client, training_file)
    hardware = client.endpoints.hardware.list()
    prices = {h.id: h.price_cents_per_hour for h in hardware.data}
    assert prices[HARDWARE] > 0
    emulator.clear_requests()

    endpoint = client.endpoints.create(project_id=PROJECT, name="chunsik", visibility="VISIBILITY_PRIVATE")
    assert endpoint.name == f"{PROJECT}/chunsik" and endpoint.deployments == []
    deployment = client.endpoints.deployments.create(
        endpoint.id,
        project_id=PROJECT,
        name="live",
        model=f"projects/{PROJECT}/models/{model}",
        config=f"projects/{PROJECT}/configs/{HARDWARE}",
        autoscaling={"min_replicas": 2, "max_replicas": 2},
    )
    assert deployment.status.state == "DEPLOYMENT_STATE_PROVISIONING"
    assert deployment.hardware == HARDWARE and deployment.api_model_id == model
    question = [{"role": "user", "content": "capital of Moldova"}]

    ready = _ready(client, endpoint.id, deployment.id)
    assert ready.status.ready_replicas == 2
    direct = client.chat.completions.create(model=model, messages=question).choices[0].message
    through = client.chat.completions.create(model=endpoint.name, messages=question).choices[0].message
    assert through is not None and direct is not None and through.content == direct.content

    scaled = client.endpoints.deployments.update(
        deployment.id,
        endpoint_id=endpoint.id,
        project_id=PROJECT,
        autoscaling={"min_replicas": 1, "max_replicas": 1},
    )
    assert scaled.autoscaling.min_replicas == 1 and scaled.status.state == "DEPLOYMENT_STATE_READY"
    listed = client.endpoints.retrieve(endpoint.id, project_id=PROJECT)
    assert [(d.id, d.api_model_id, d.state) for d in listed.deployments] == [
        (deployment.id, model, "DEPLOYMENT_STATE_READY")
    ]

    with pytest.raises(APIStatusError) as refused:  # "Delete its deployments first"
        client.endpoints.delete(endpoint.id, project_id=PROJECT)
    assert refused.value.status_code == 409
    client.endpoints.deployments.delete(deployment.id, endpoint_id=endpoint.id, project_id=PROJECT)
    client.endpoints.delete(endpoint.id, project_id=PROJECT)
    with pytest.raises(NotFoundError):
        client.endpoints.retrieve(endpoint.id, project_id=PROJECT)
    with pytest.raises(NotFoundError):
        client.chat.completions.create(model=endpoint.name, messages=question)
    assert sum(name.startswith("v2 ") for name in checker.checked) >= 8
    paths = [(r.method, r.path) for r in emulator.requests() if r.path.startswith("/together/v2/")]
    base = f"/together/v2/projects/{PROJECT}/endpoints"
    assert paths[:2] == [("POST", base), ("POST", f"{base}/{endpoint.id}/deployments")]
    assert ("DELETE", f"{base}/{endpoint.id}/deployments/{deployment.id}") in paths


def test_the_listing_pages_with_a_cursor_and_is_per_project(client: Together) -> None:
    for index in range(5):
        client.endpoints.create(project_id=PROJECT, name=f"e{index}")
    client.endpoints.create(project_id="another", name="e0")
    first = client.endpoints.list(project_id=PROJECT, limit=2)
    assert len(first.data) == 2 and first.next_cursor
    everything = [e.name for e in client.endpoints.list(project_id=PROJECT, limit=2)]
    assert everything == [f"{PROJECT}/e{i}" for i in range(5)]
    with pytest.raises(APIStatusError) as taken:
        client.endpoints.create(project_id=PROJECT, name="e1")
    assert taken.value.status_code == 409


def test_a_deployment_the_service_cannot_run_is_400(client: Together) -> None:
    endpoint = client.endpoints.create(project_id=PROJECT, name="bad")

    def create(**overrides: Any) -> None:
        arguments: dict[str, Any] = {
            "project_id": PROJECT,
            "name": "live",
            "model": f"projects/{PROJECT}/models/{LLAMA_8B}",
            "config": f"projects/{PROJECT}/configs/{HARDWARE}",
            "autoscaling": {"min_replicas": 1, "max_replicas": 1},
        } | overrides
        client.endpoints.deployments.create(endpoint.id, **arguments)

    with pytest.raises(BadRequestError, match="hardware"):
        create(config=f"projects/{PROJECT}/configs/1x_abacus")
    with pytest.raises(BadRequestError, match="autoscaling"):
        create(autoscaling={"min_replicas": 0, "max_replicas": 1})
    with pytest.raises(NotFoundError, match="not-a-model"):
        create(model=f"projects/{PROJECT}/models/not-a-model")
    create()  # a base model of the catalog deploys


def test_faults_and_the_request_log_apply_to_endpoint_calls(
    client: Together, emulator: RunningEmulator
) -> None:
    path = f"/together/v2/projects/{PROJECT}/endpoints"
    emulator.set_faults(f"[POST {path}] seq:500,ok")
    with pytest.raises(APIStatusError) as failed:
        client.endpoints.create(project_id=PROJECT, name="flaky")
    assert failed.value.status_code == 500
    assert client.endpoints.create(project_id=PROJECT, name="flaky").name == f"{PROJECT}/flaky"
    assert [(r.status, r.fault) for r in emulator.requests() if r.path == path] == [(500, "500"), (200, None)]


def test_an_endpoint_answers_only_once_its_deployment_is_ready(
    start_emulator: Callable[..., RunningEmulator], make_client: Callable[..., Together]
) -> None:
    client = make_client(start_emulator(speed=1.0))  # a minute of provisioning, in real time
    endpoint = client.endpoints.create(project_id=PROJECT, name="slow")
    deployment = client.endpoints.deployments.create(
        endpoint.id,
        project_id=PROJECT,
        name="live",
        model=f"projects/{PROJECT}/models/{LLAMA_8B}",
        config=f"projects/{PROJECT}/configs/{HARDWARE}",
        autoscaling={"min_replicas": 1, "max_replicas": 1},
    )
    assert deployment.status.state == "DEPLOYMENT_STATE_PROVISIONING"
    assert deployment.status.ready_replicas == 0
    with pytest.raises(NotFoundError):
        client.chat.completions.create(model=endpoint.name, messages=[{"role": "user", "content": "hi"}])
