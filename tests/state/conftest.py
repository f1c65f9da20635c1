"""Fixtures for the state tests: one ``backend`` fixture, parametrized over every backend,
that the conformance suite runs against. Each test gets its own state (a temporary
folder, a fresh S3 key, a fresh PostgreSQL state name) on servers shared per session.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_server import PostgresServer
from tests_state_support import S3_BUCKET, BackendUnderTest


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on an ephemeral loopback port, with a versioned bucket and fake credentials."""
    from s3_server import SerializedMotoServer

    with pytest.MonkeyPatch.context() as env:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }.items():
            env.setenv(name, value)
        env.delenv("AWS_PROFILE", raising=False)
        server = SerializedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        import boto3

        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        client.create_bucket(Bucket=S3_BUCKET)
        client.put_bucket_versioning(Bucket=S3_BUCKET, VersioningConfiguration={"Status": "Enabled"})
        client.close()
        try:
            yield endpoint
        finally:
            server.stop()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL on loopback in a temporary data folder (``restart()`` for the tests of
    a database restart).

    If no server can be started, the PostgreSQL tests skip with the reason on a
    developer's machine and fail in CI (``CI`` set), where the server is required.
    """
    from pg_server import PostgresUnavailable, start_postgres

    try:
        server = start_postgres()
    except PostgresUnavailable as error:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI and could not be started: {error}")
        pytest.skip(f"PostgreSQL could not be started: {error}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_conninfo(pg_server: PostgresServer) -> Iterator[str]:
    """``FTOPS_PG_CONN`` pointing at the session's PostgreSQL."""
    server = pg_server
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FTOPS_PG_CONN", server.conninfo)
        yield server.conninfo


def _postgres(request: pytest.FixtureRequest, tmp_path: Path) -> BackendUnderTest:
    request.getfixturevalue("pg_conninfo")
    options = {"schema": "ftops_tests", "name": uuid.uuid4().hex}
    return BackendUnderTest(type="postgres", root=tmp_path, options=options)


def _s3(request: pytest.FixtureRequest, tmp_path: Path) -> BackendUnderTest:
    endpoint = request.getfixturevalue("s3_endpoint")
    options = {
        "bucket": S3_BUCKET,
        "key": f"{uuid.uuid4().hex}/ftops.state.json",
        "region": "us-east-1",
        "endpoint_url": endpoint,
    }
    return BackendUnderTest(type="s3", root=tmp_path, options=options)


@pytest.fixture(params=["local", "s3", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BackendUnderTest]:
    kind = request.param
    if kind == "local":
        under_test = BackendUnderTest(type="local", root=tmp_path)
    elif kind == "s3":
        under_test = _s3(request, tmp_path)
    elif kind == "postgres":
        under_test = _postgres(request, tmp_path)
    else:  # pragma: no cover - every param is handled above
        raise AssertionError(kind)
    yield under_test
    under_test.close_all()


@pytest.fixture
def unique_name() -> str:
    return f"t{uuid.uuid4().hex[:12]}"
