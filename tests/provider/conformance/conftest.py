"""Every test here runs once per provider in ``SUBJECTS``, against that provider's emulator
served over real HTTP: one emulator per provider per module (each test works in a project of
its own, so no state leaks between tests), its faults, refusals and revoked keys reset after
each test."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from ftops.emulator import EmulatorConfig, RunningEmulator, start_background
from ftops.provider.base import FineTuningProvider
from ftops.provider.retry import RetryPolicy

from .subjects import SPEED, SUBJECTS, Subject

# Shaped like a real key so that ftops's redaction must hide it wherever it could show.
KEY = "sk-conformance-SECRET-0123456789abcdefghij"


@pytest.fixture(scope="module", params=SUBJECTS, ids=lambda subject: subject.name)
def subject(request: pytest.FixtureRequest) -> Subject:
    chosen: Subject = request.param
    return chosen


@pytest.fixture(scope="module")
def emulator(subject: Subject, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    config = EmulatorConfig(data_dir=tmp_path_factory.mktemp(f"emulator-{subject.name}"), speed=SPEED,
                            **subject.emulator_options)
    with start_background(config) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh_switches(emulator: RunningEmulator) -> Iterator[None]:
    """Each test starts with an empty request log and ends with the emulator as it started."""
    cutoff = emulator.runtime.job_cutoff
    emulator.clear_requests()
    yield
    emulator.set_faults(None)
    emulator.set_revoked_keys(set())
    emulator.runtime.refusals = ()
    emulator.runtime.job_cutoff = cutoff


@pytest.fixture
def retry() -> RetryPolicy:
    """Retries that record each wait instead of sleeping: Retry-After is observed, not timed."""
    return RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.02, sleep=lambda _seconds: None)


@pytest.fixture
def provider(subject: Subject, emulator: RunningEmulator, retry: RetryPolicy,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[FineTuningProvider]:
    for name in subject.capabilities.secret_env_vars:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(subject.key_env, KEY)
    opened = subject.open(emulator, retry)
    yield opened
    opened.close()


@pytest.fixture
def project(request: pytest.FixtureRequest) -> str:
    """A project name of this test's own: jobs and uploads of other tests are another project's."""
    return "conf-" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:10]


@pytest.fixture
def unreachable(subject: Subject, retry: RetryPolicy, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[FineTuningProvider]:
    """The provider opened on an emulator that has stopped: its port refuses connections."""
    monkeypatch.setenv(subject.key_env, KEY)
    config = EmulatorConfig(data_dir=tmp_path / "stopped", speed=SPEED, **subject.emulator_options)
    gone = start_background(config)
    gone.stop()
    opened = subject.open(gone, retry)
    yield opened
    opened.close()
