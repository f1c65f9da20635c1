"""Fixtures: a fresh emulator on an ephemeral loopback port, and clients of the official ``together``
SDK pointed at its ``/together`` prefix, whose every response is validated against Together's spec."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from together import Together

from ftops.emulator import EmulatorConfig, RunningEmulator, start_background

from .data import CAPITALS, write_jsonl
from .schemas import problems, schema_for, sdk_problems

TEST_SPEED = 2000.0  # a default job's few simulated minutes pass in about 0.15 s
LLAMA_8B = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
QWEN_7B = "Qwen/Qwen2.5-7B-Instruct"
LLAMA_70B_LORA_ONLY = "meta-llama/Meta-Llama-3.1-70B-Instruct-Reference"
TERMINAL = ("completed", "error", "cancelled")


class ResponseChecker:
    """An httpx event hook: validates each response body, and remembers what it found."""

    def __init__(self) -> None:
        self.checked: list[str] = []
        self.failures: list[str] = []

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        request = response.request
        name = schema_for(request.method, request.url.path, response.status_code)
        if name is None and request.url.path.startswith("/together/v2/") and response.status_code < 400:
            self.checked.append(f"v2 {request.method} {request.url.path}")
            self.failures += [
                f"{request.method} {request.url.path}: {p}"
                for p in sdk_problems(request.method, request.url.path, response.json())
            ]
            return
        if name is None:
            return
        try:
            body = response.json()
        except ValueError:
            self.failures.append(f"{request.method} {request.url.path}: body is not JSON")
            return
        self.checked.append(name)
        self.failures += [f"{request.method} {request.url.path}: {p}" for p in problems(name, body)]


@pytest.fixture
def checker() -> Iterator[ResponseChecker]:
    found = ResponseChecker()
    yield found
    # Raised here, not in the hook: the SDK would turn a hook's exception into a connection error.
    assert not found.failures, "responses off Together's spec:\n" + "\n".join(found.failures)


@pytest.fixture
def start_emulator(tmp_path: Path) -> Iterator[Callable[..., RunningEmulator]]:
    started: list[RunningEmulator] = []

    def start(**options: Any) -> RunningEmulator:
        options.setdefault("data_dir", tmp_path / "emulator")
        options.setdefault("speed", TEST_SPEED)
        emulator = start_background(EmulatorConfig(**options))
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(start_emulator: Callable[..., RunningEmulator]) -> RunningEmulator:
    return start_emulator()


@pytest.fixture
def http(emulator: RunningEmulator, checker: ResponseChecker) -> Iterator[httpx.Client]:
    """Plain HTTP to the Together prefix, for what the SDK cannot send (no key, the spec's upload)."""
    with httpx.Client(
        base_url=emulator.together_base_url + "/v1", event_hooks={"response": [checker]}
    ) as client:
        yield client


@pytest.fixture
def make_client(checker: ResponseChecker) -> Iterator[Callable[..., Together]]:
    clients: list[Together] = []

    def make(emulator: RunningEmulator, api_key: str = "test-key", max_retries: int = 0) -> Together:
        http = httpx.Client(event_hooks={"response": [checker]}, follow_redirects=True)
        client = Together(
            base_url=emulator.together_base_url, api_key=api_key, max_retries=max_retries, http_client=http
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(emulator: RunningEmulator, make_client: Callable[..., Together]) -> Together:
    return make_client(emulator)


@pytest.fixture
def training_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "capitals.jsonl", CAPITALS)


def wait(client: Together, job_id: str, deadline_s: float = 30.0) -> str:
    """Poll as a user would until the job ends (the emulator's speed makes it quick)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        status = client.fine_tuning.retrieve(job_id).status
        if status in TERMINAL:
            return str(status)
        time.sleep(0.02)
    raise AssertionError(f"{job_id} did not finish")
