"""Azure OpenAI tests: an emulator on a loopback port that accepts one Azure key, and a copy of
the example project whose manifest names ``provider: {type: azure, endpoint, api_version}``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ftops.emulator import EmulatorConfig, RunningEmulator, start_background

REPO = Path(__file__).resolve().parents[2]
OPENAI_EXAMPLE = REPO / "tests" / "fixtures" / "kakao-openai" / "kakao-friends.yaml"
AZURE_KEY = "azure-test-key-5f0c9e7d2b"
API_VERSION = "2025-04-01-preview"
SPEED = 2000.0  # the example job trains in well under a second


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[RunningEmulator]:
    with start_background(EmulatorConfig(data_dir=tmp_path / "emulator", speed=SPEED,
                                         azure_api_keys=frozenset({AZURE_KEY}))) as emu:
        yield emu


def azure_manifest(text: str, endpoint: str, api_version: str) -> str:
    provider = f"provider:\n  type: azure\n  endpoint: {endpoint}\n  api_version: {api_version}\n"
    replaced, count = re.subn(r"provider:\n  type: openai[^\n]*\n", provider, text)
    assert count == 1, "the example's provider block moved: update this fixture"
    return replaced


@pytest.fixture
def project(tmp_path: Path, emulator: RunningEmulator) -> Path:
    """The example on Azure (its OpenAI form, tests/fixtures/kakao-openai/, with the example's
    datasets): the endpoint is the emulator's root URL."""
    root = tmp_path / "example"
    root.mkdir()
    shutil.copytree(REPO / "datasets", root / "datasets")
    (root / "manifests").mkdir()
    manifest = root / "manifests" / "kakao-friends.yaml"
    manifest.write_text(azure_manifest(OPENAI_EXAMPLE.read_text(), emulator.root_url, API_VERSION))
    return root


Ftops = Callable[..., Result]


@pytest.fixture
def ftops(project: Path) -> Ftops:
    """``ftops ARGS`` as a separate process in the project, with the Azure key (or ``env``) set."""

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("OPENAI_", "AZURE_OPENAI_")) and k not in ("CI", "FORCE_COLOR")}
        chosen = {"AZURE_OPENAI_API_KEY": AZURE_KEY} if env is None else env
        done = subprocess.run([sys.executable, "-m", "ftops", *args], cwd=project,
                              env={**base, "NO_COLOR": "1", **chosen}, capture_output=True, text=True,
                              timeout=120, check=False)
        return Result(done.returncode, done.stdout, done.stderr)

    return run
