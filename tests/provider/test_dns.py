"""Issue 17: a host name that does not resolve fails at once, with one line naming it. It used to
be retried like any connection trouble, about 13 s of backoff before the same verdict.

The name is a ``.invalid`` one (RFC 6761: it never resolves). So that a slow resolver cannot
hold the test up, name resolution is answered here as the system answers such a name, without
asking it: everything above the resolver (httpx, the SDK, ftops's retry rule) is the real code."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from ftops import errors
from ftops.provider import JobIdentity, JobSpec, open_provider
from ftops.provider.retry import RetryPolicy
from ftops.resources import ProviderConfig

from .cli_support import FAKE_KEY, make_project, run_cli

HOST = "api.ftops-test.invalid"
REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture(autouse=True)
def invalid_names_do_not_resolve(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    asked: list[str] = []

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(".invalid"):
            asked.append(host)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return REAL_GETADDRINFO(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_plan_against_a_name_that_does_not_resolve_fails_at_once_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, invalid_names_do_not_resolve: list[str],
) -> None:
    slept: list[float] = []
    monkeypatch.setattr("ftops.provider.retry.time.sleep", slept.append)
    root = make_project(tmp_path, f"https://{HOST}/v1")
    result = run_cli(root, monkeypatch, "plan")
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        f"Error: list files: cannot resolve the host name {HOST} (Name or service not known)"
    )
    assert "Traceback" not in result.err and FAKE_KEY not in result.err
    assert slept == []  # no backoff at all
    assert invalid_names_do_not_resolve == [HOST]  # asked once, not once per retry


@pytest.mark.parametrize("operation", ["read", "delete", "create"])
def test_an_unresolved_host_is_never_retried_whatever_the_operation(
    monkeypatch: pytest.MonkeyPatch, operation: str, invalid_names_do_not_resolve: list[str],
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    provider = open_provider(ProviderConfig(type="openai", base_url=f"http://{HOST}/v1"))
    policy = RetryPolicy(sleep=lambda _: None)
    provider.retry = policy  # type: ignore[attr-defined]
    with provider, pytest.raises(errors.ServiceError, match=f"cannot resolve the host name {HOST}"):
        if operation == "read":
            provider.list_models()
        elif operation == "delete":
            provider.delete_file("file-1")
        else:  # nothing was sent, so the outcome is known: not OutcomeUnknownError
            provider.create_job(JobSpec(JobIdentity("p", "jobs.x", "h" * 64), "m", "train"), "file-1", None)
    assert policy.waits == []
    assert len(invalid_names_do_not_resolve) == 1
