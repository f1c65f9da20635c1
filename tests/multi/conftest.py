"""Two services in one project, each an emulator of its own (so that a move really crosses
accounts: one emulator serves OpenAI's API and Azure's paths from one store, which would let the
new provider see the old one's objects)."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from ftops.emulator import EmulatorConfig, RunningEmulator, start_background
from tests.e2e.support import FAKE_KEY, SPEED, Result, chat_examples

AZURE_KEY = "azure-test-key-5f0c9e7d2b"
API_VERSION = "2025-04-01-preview"
OPENAI_BASE = "gpt-4o-mini-2024-07-18"
AZURE_BASE = "gpt-4.1-mini-2025-04-14"
TOGETHER_BASE = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
TOGETHER_KEY = "together-test-key-0c7d1e"


@dataclass
class TwoServices:
    root: Path
    openai: RunningEmulator  # the project's provider
    azure: RunningEmulator  # the second service: Azure's paths, or Together's under /together

    def write_manifest(self, jobs: str, *, together: bool = False) -> None:
        """The project with ``jobs`` (YAML lines under ``jobs:``, indented two spaces); the second
        service is Azure (alias ``az``), or with ``together`` Together AI (alias ``tg``, served by
        the second emulator under its ``/together`` prefix)."""
        second = (f"  tg:\n    type: together\n    base_url: {self.azure.together_base_url}\n" if together
                  else f"  az:\n    type: azure\n    endpoint: {self.azure.root_url}\n"
                       f"    api_version: \"{API_VERSION}\"\n")
        text = f"""\
project: e2e
provider:
  type: openai
  base_url: {self.openai.base_url}
providers:
{second}datasets:
  train:
    file: ../datasets/train.jsonl
jobs:
{jobs}
models:
  alpha:
    job: a
    checks:
      - messages:
          - role: user
            content: Who is Chunsik?
        contains: Ryan
"""
        (self.root / "manifests" / "project.yaml").write_text(text)


def job_yaml(name: str, model: str, provider: str | None = None) -> str:
    where = f"\n    provider: {provider}" if provider else ""
    return (f"  {name}:\n    model: {model}\n    training_file: train\n    suffix: {name}{where}\n"
            "    method:\n      type: supervised\n      hyperparameters:\n        n_epochs: 1\n")


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
             request: pytest.FixtureRequest) -> Iterator[TwoServices]:
    """Two emulators; indirect parametrization passes a fault spec both serve."""
    faults = getattr(request, "param", None)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", AZURE_KEY)
    monkeypatch.setenv("TOGETHER_API_KEY", TOGETHER_KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("FTOPS_EMULATOR_SPEED", str(SPEED))
    root = tmp_path / "project"
    for folder in ("manifests", "datasets", "state"):
        (root / folder).mkdir(parents=True)
    (root / "datasets" / "train.jsonl").write_text(
        "".join(json.dumps(e) + "\n" for e in chat_examples("training")))
    with start_background(EmulatorConfig(data_dir=tmp_path / "openai", speed=SPEED, faults=faults)) as oa, \
            start_background(EmulatorConfig(data_dir=tmp_path / "azure", speed=SPEED, faults=faults,
                                            azure_api_keys=frozenset({AZURE_KEY}))) as az:
        yield TwoServices(root, oa, az)


@pytest.fixture
def run(services: TwoServices, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """``ftops ARGS`` in this process, from the project root."""
    from ftops.cli import main

    def invoke(*args: str) -> Result:
        monkeypatch.chdir(services.root)
        monkeypatch.setattr(sys, "argv", ["ftops", *args])
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        out, err = io.StringIO(), io.StringIO()
        code = 0
        with redirect_stdout(out), redirect_stderr(err):
            try:
                main()
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        return Result(code, out.getvalue(), err.getvalue())

    return invoke
