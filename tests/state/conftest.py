"""Fixtures for the state tests: one ``backend`` fixture, parametrized over every backend,
that the conformance suite runs against. Each test gets its own state (a temporary
folder, a fresh S3 key, a fresh PostgreSQL state name) on servers shared per session.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests_state_support import BackendUnderTest


def _local(tmp_path: Path) -> BackendUnderTest:
    return BackendUnderTest(type="local", root=tmp_path)


@pytest.fixture(params=["local"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BackendUnderTest]:
    kind = request.param
    if kind == "local":
        under_test = _local(tmp_path)
    else:  # pragma: no cover - every param is handled above
        raise AssertionError(kind)
    yield under_test
    under_test.close_all()


@pytest.fixture
def unique_name() -> str:
    return f"t{uuid.uuid4().hex[:12]}"
