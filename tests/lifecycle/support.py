"""Helpers of the lifecycle tests: the one-job project, dates relative to today, CLI results,
and a ``World`` (an emulator configured per test, the project pointing at it, ``run``)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from ftops import clock
from ftops.emulator import RunningEmulator

FAKE_KEY = "sk-test-LIFECYCLE0123456789abcdefSECRET"
SPEED = 2000.0  # a job trains in well under a second
OLD_BASE = "gpt-4o-mini-2024-07-18"
SUCCESSOR = "gpt-4.1-mini-2025-04-14"

MANIFEST = """\
project: lifecycle
provider:
  type: openai
  base_url: {base_url}
backend:
  type: local
  path: state/ftops.state.json
datasets:
  train:
    file: ../datasets/train.jsonl
jobs:
  chunsik:
    model: {model}
    training_file: train
    suffix: chunsik
    method:
      type: supervised
      hyperparameters:
        n_epochs: 1
models:
  chunsik:
    job: chunsik
    checks:
      - messages:
          - role: user
            content: Who is Chunsik?
        contains: {contains}
"""


def day(offset: int) -> str:
    """A date ``offset`` days from today (the CLI plans with today's date)."""
    return (clock.today() + timedelta(days=offset)).isoformat()


def examples(count: int = 12) -> list[dict[str, Any]]:
    return [
        {
            "messages": [
                {"role": "user", "content": f"Tell me fact {i} about Chunsik." if i else "Who is Chunsik?"},
                {"role": "assistant", "content": f"Chunsik is Ryan's cat (fact {i})."},
            ]
        }
        for i in range(count)
    ]


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class World:
    root: Path
    emulator: RunningEmulator
    run: Callable[..., Result]

    def write_manifest(self, model: str = OLD_BASE, contains: str = "Ryan") -> None:
        text = MANIFEST.replace("{base_url}", self.emulator.base_url).replace("{model}", model)
        text = text.replace("{contains}", contains)
        (self.root / "manifests" / "project.yaml").write_text(textwrap.dedent(text))

    def state(self) -> dict[str, Any]:
        data = json.loads((self.root / "state" / "ftops.state.json").read_text())
        resources: dict[str, Any] = data["resources"]
        return resources

    def log(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.emulator.requests()]


