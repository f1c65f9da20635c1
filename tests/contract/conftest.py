"""Fixtures: a fresh emulator on an ephemeral loopback port, and SDK clients whose every
response is validated against the spec's schemas."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from openai import OpenAI

from ftops.emulator import EmulatorConfig, RunningEmulator, start_background

from .data import CHUNSIK, write_jsonl
from .schemas import STREAM_CHUNK, problems, schema_for, stream_problems

TEST_SPEED = 2000.0  # a default-sized job runs its 3 simulated minutes in about 0.1 s


class ResponseChecker:
    """An httpx event hook: validates each response body, and remembers what it found."""

    def __init__(self) -> None:
        self.checked: list[str] = []
        self.failures: list[str] = []

    def __call__(self, response: httpx2.Response) -> None:
        response.read()
        request = response.request
        name = schema_for(request.method, request.url.path, response.status_code)
        if name is None:
            return
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            self.checked.append(STREAM_CHUNK)
            where = f"{request.method} {request.url.path}"
            self.failures += [f"{where}: {p}" for p in stream_problems(response.text)]
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
    assert not found.failures, "responses off the spec:\n" + "\n".join(found.failures)


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
def make_client(checker: ResponseChecker) -> Iterator[Callable[..., OpenAI]]:
    clients: list[OpenAI] = []

    def make(emulator: RunningEmulator, api_key: str = "test-key", max_retries: int = 0) -> OpenAI:
        http = httpx2.Client(event_hooks={"response": [checker]})
        client = OpenAI(
            base_url=emulator.base_url, api_key=api_key, max_retries=max_retries, http_client=http
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(emulator: RunningEmulator, make_client: Callable[..., OpenAI]) -> OpenAI:
    return make_client(emulator)


@pytest.fixture
def training_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "chunsik.jsonl", CHUNSIK)
