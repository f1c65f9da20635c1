"""Fixtures: an emulator on an ephemeral loopback port, and ftops's Together adapter talking to its
``/together`` prefix through the official ``together`` SDK over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ftops.emulator import EmulatorConfig, RunningEmulator, start_background
from ftops.provider import open_provider
from ftops.provider.base import FineTuningProvider
from ftops.provider.retry import RetryPolicy
from ftops.provider.together.adapter import TogetherProvider
from ftops.resources import ProviderConfig

SPEED = 2000.0  # a default job's few simulated minutes pass in well under a second
LLAMA_8B = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
QWEN_7B = "Qwen/Qwen2.5-7B-Instruct"
KEY = "tg-test-SECRETSECRETSECRET0123456789"


def chat_lines(topic: str, count: int = 12) -> list[dict[str, Any]]:
    return [
        {"messages": [
            {"role": "user", "content": f"Tell me fact {i} about {topic}." if i else "Who is Chunsik?"},
            {"role": "assistant", "content": f"Fact {i} about {topic}: Chunsik is Ryan's cat ({i})."},
        ]}
        for i in range(count)
    ]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


@pytest.fixture
def start_emulator(tmp_path: Path) -> Iterator[Callable[..., RunningEmulator]]:
    started: list[RunningEmulator] = []

    def start(**options: Any) -> RunningEmulator:
        options.setdefault("data_dir", tmp_path / f"emulator-{len(started)}")
        options.setdefault("speed", SPEED)
        emulator = start_background(EmulatorConfig(**options))
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(start_emulator: Callable[..., RunningEmulator]) -> RunningEmulator:
    return start_emulator()


def no_wait() -> RetryPolicy:
    return RetryPolicy(sleep=lambda _: None)


@pytest.fixture
def connect(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[RunningEmulator], TogetherProvider]]:
    """The adapter as ``provider: {type: together, base_url: <emulator>/together}`` opens it, with
    the key from TOGETHER_API_KEY and retries that do not sleep."""
    monkeypatch.setenv("TOGETHER_API_KEY", KEY)
    opened: list[FineTuningProvider] = []

    def make(emulator: RunningEmulator) -> TogetherProvider:
        provider = open_provider(ProviderConfig(type="together", base_url=emulator.together_base_url))
        assert isinstance(provider, TogetherProvider)
        provider.retry = no_wait()
        opened.append(provider)
        return provider

    yield make
    for provider in opened:
        provider.close()


@pytest.fixture
def provider(
    emulator: RunningEmulator, connect: Callable[[RunningEmulator], TogetherProvider]
) -> TogetherProvider:
    return connect(emulator)
