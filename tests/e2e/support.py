"""End-to-end helpers: a real emulator on a loopback port, a project folder pointing at it,
and the ``ftops`` CLI run in-process (``run``) or as a separate process (``spawn``).

The emulator's request log is the ground truth for "how many mutating requests did
that make", and a plain SDK client (``account``) checks what the account holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai

from ftops.emulator import RunningEmulator

FAKE_KEY = "sk-test-SECRETSECRETSECRET0123456789abcdef"
SPEED = 2000.0  # a job trains in well under a second
REPO = Path(__file__).resolve().parents[2]


def chat_examples(topic: str, count: int = 12) -> list[dict[str, Any]]:
    """Valid chat examples whose answers mention Ryan (the checks look for it)."""
    return [
        {
            "messages": [
                {"role": "system", "content": "Kakao Friends Assistant Bot."},
                {"role": "user", "content": f"Tell me fact {i} about {topic}." if i else "Who is Chunsik?"},
                {"role": "assistant", "content": f"Fact {i} about {topic}: Chunsik is Ryan's cat ({i})."},
            ]
        }
        for i in range(count)
    ]


MANIFEST = """\
project: e2e
provider:
  type: openai
  base_url: {base_url}
backend:
  type: local
  path: state/ftops.state.json
datasets:
  train:
    file: ../datasets/train.jsonl
  valid:
    file: ../datasets/valid.jsonl
  extra:
    file: ../datasets/extra.jsonl
jobs:
  a:
    model: gpt-4o-mini-2024-07-18
    training_file: train
    validation_file: valid
    suffix: a
    method:
      type: supervised
      hyperparameters:
        n_epochs: 1
  b:
    model: gpt-4o-mini-2024-07-18
    training_file: extra
    suffix: b
    method:
      type: supervised
      hyperparameters:
        n_epochs: 1
models:
  alpha:
    job: a
    checks:
      - messages:
          - role: user
            content: Who is Chunsik?
        contains: Ryan
  beta:
    job: b
    protect: true
"""


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@dataclass
class Project:
    root: Path
    emulator: RunningEmulator

    @property
    def state_path(self) -> Path:
        return self.root / "state" / "ftops.state.json"

    def state(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.state_path.read_text())
        return data

    def write_dataset(self, name: str, examples: list[dict[str, Any]]) -> None:
        path = self.root / "datasets" / f"{name}.jsonl"
        path.write_text("".join(json.dumps(e) + "\n" for e in examples))

    def write_manifest(self, text: str) -> None:
        (self.root / "manifests" / "project.yaml").write_text(
            textwrap.dedent(text).replace("{base_url}", self.emulator.base_url)
        )

    def mutating(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.emulator.requests() if r.mutating]

    def account(self) -> openai.OpenAI:
        # Verification reads retry (the SDK way): the emulator may be injecting faults.
        return openai.OpenAI(api_key="test-key", base_url=self.emulator.base_url, max_retries=10)

    def our_files(self) -> list[Any]:
        files = self.account().files.list(purpose="fine-tune")
        return [f for f in files if f.filename.startswith("ftops-e2e--")]

    def our_jobs(self) -> list[Any]:
        jobs = self.account().fine_tuning.jobs.list(limit=100, extra_query={"metadata[ftops_project]": "e2e"})
        return list(jobs)

    def model_ids(self) -> set[str]:
        return {m.id for m in self.account().models.list()}


def make_project(root: Path, emu: RunningEmulator) -> Project:
    for folder in ("manifests", "datasets", "state"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    project = Project(root, emu)
    project.write_manifest(MANIFEST)
    project.write_dataset("train", chat_examples("training"))
    project.write_dataset("valid", chat_examples("validation"))
    project.write_dataset("extra", chat_examples("extras"))
    return project


def spawn(project: Project, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
    """``ftops ARGS`` as a separate process (for SIGKILL and concurrency tests)."""
    env = {**os.environ, "OPENAI_API_KEY": FAKE_KEY, "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    env.pop("CI", None)
    return subprocess.Popen(
        [sys.executable, "-m", "ftops", *args], cwd=project.root, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs,
    )
