"""The CLI shell: version, help without heavy imports, and errors mapped to one line and exit 1."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ftops import __version__
from ftops.cli import common
from ftops.diagnostics import Diagnostic
from ftops.errors import FtopsError, ManifestError, StateLockedError


def run_ftops(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ftops", *args], capture_output=True, text=True, check=False)


def test_version() -> None:
    result = run_ftops("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"ftops {__version__}"


def test_help_imports_no_sdk_server_or_yaml() -> None:
    # ftops --help is on every user's path: it must not pay for the SDK, the server or YAML.
    probe = (
        "import sys\n"
        "from ftops.cli import app\n"
        "try:\n"
        "    app(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ['openai', 'httpx2', 'starlette', 'uvicorn', 'yaml', 'jsonschema', 'tiktoken', 'deepdiff']\n"
        "print(__import__('json').dumps([m for m in heavy if m in sys.modules]))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == []


def test_unknown_command_is_a_usage_error() -> None:
    result = run_ftops("no-such-command")
    assert result.returncode == 2  # click's usage error
    assert "No such command" in result.stderr


def test_report_error_prints_one_line_plus_diagnostics(capsys: pytest.CaptureFixture[str]) -> None:
    common.set_verbose(False)
    error = ManifestError(
        "2 problems in the manifests",
        [
            Diagnostic("manifests/a.yaml", 3, 5, "jobs.x.model", "is required"),
            Diagnostic("manifests/a.yaml", 9, 1, "datasets", "unknown key 'datsets'", "warning"),
        ],
    )
    common.report_error(error)
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "Error: 2 problems in the manifests",
        "  manifests/a.yaml:3:5: jobs.x.model: is required",
        "  manifests/a.yaml:9:1: warning: datasets: unknown key 'datsets'",
    ]


def test_report_error_redacts_keys(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-SECRETSECRETSECRET")
    common.report_error(FtopsError("request with sk-test-SECRETSECRETSECRET failed", hint="check sk-test-x"))
    err = capsys.readouterr().err
    assert "SECRETSECRET" not in err
    assert "[REDACTED]" in err


def test_traceback_only_with_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    def raise_it() -> None:
        raise StateLockedError("state is locked by someone")

    try:
        raise_it()
    except StateLockedError as error:
        common.set_verbose(False)
        common.report_error(error)
        quiet = capsys.readouterr().err
        common.set_verbose(True)
        common.report_error(error)
        loud = capsys.readouterr().err
        common.set_verbose(False)
    assert "Traceback" not in quiet
    assert "Traceback" in loud and "raise_it" in loud
