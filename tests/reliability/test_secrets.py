"""Secrets (issue 8, item 7): with a recognisable fake key in OPENAI_API_KEY, every command
runs (successes, failures and ``-v`` debug output), each as its own process; the key, or
any long piece of it, appears in no output, and in no file under the project (state, its
backup, plan files, lock files, anything a command wrote) or the emulator's data folder.
Errors that show a request show it with the key redacted.

The key is deliberately *not* shaped like ``sk-...``: the shape-based redaction would hide
that anyway; this one is caught only if every path redacts the environment's values.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import openai
import pytest
from e2e.support import REPO, Project, chat_examples

KEY = "FtopsFakeKey0123456789QwertyZxcvb"
PIECES = [KEY[i:i + 12] for i in range(0, len(KEY) - 11, 4)]  # any 12-character piece


def leaks(text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    return [piece for piece in PIECES if piece.encode() in data]


def ftops(root: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
          ) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "OPENAI_API_KEY": KEY, "NO_COLOR": "1", "PYTHONPATH": str(REPO),
                   "FTOPS_EMULATOR_SPEED": "2000", **(env or {})}
    environment.pop("CI", None)
    return subprocess.run([sys.executable, "-m", "ftops", *args], cwd=root, env=environment,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          check=False)


def files_under(*roots: Path) -> list[Path]:
    return [p for root in roots for p in root.rglob("*") if p.is_file() and not p.is_symlink()]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_no_command_shows_or_stores_the_key(project: Project, tmp_path: Path) -> None:
    root = project.root
    (root / "other").mkdir()
    runs: list[tuple[tuple[str, ...], subprocess.CompletedProcess[str]]] = []

    def go(*args: str, expect: int | None = 0, env: dict[str, str] | None = None) -> str:
        started = time.monotonic()
        done = ftops(root, *args, env=env)
        print(f"{time.monotonic() - started:5.1f}s ftops {' '.join(args)} -> {done.returncode}")
        runs.append((args, done))
        if expect is not None:
            assert done.returncode == expect, (args, done.stdout, done.stderr)
        return done.stdout

    go("validate")
    go("schema")
    go("init", "other")
    go("dataset", "stats", "datasets/train.jsonl")
    go("plan", "--out", "saved.plan")
    go("plan", "--json")
    go("plan", "--format", "markdown")
    go("-v", "plan", "--detailed-exitcode", expect=2)
    go("-v", "apply", "saved.plan")
    go("wait")
    go("apply", "--auto-approve", "--wait")
    go("status")
    go("output", "--json")
    go("chat", "alpha", "Who is Chunsik?")
    state = json.loads(project.state_path.read_text())
    file_id = state["resources"]["datasets.extra"]["file_id"]
    go("metrics", "jobs.a")
    go("state", "list")
    go("state", "show", "jobs.a")
    pulled = go("state", "pull")
    (root / "pulled.json").write_text(pulled)
    go("state", "mv", "datasets.extra", "datasets.extra2")
    go("state", "mv", "datasets.extra2", "datasets.extra")
    go("state", "rm", "datasets.extra")
    go("import", "datasets.extra", file_id)
    go("-v", "state", "push", "pulled.json", expect=1)  # an older serial: refused
    go("state", "push", "--force", "pulled.json")
    go("force-unlock", "0123456789abcdef", expect=1)  # no such lock
    # Failures that involve a request, with and without -v.
    go("-v", "chat", "ft:gpt-4o-mini-2024-07-18:emulator:nope:xxxxxxxx", "hi", expect=1)
    go("-v", "import", "jobs.a", "ftjob-doesnotexist", expect=1)
    go("-v", "metrics", "ftjob-doesnotexist", expect=1)
    # A refused request (403: this key may not delete models), then a connection refused.
    project.emulator.set_non_owner_keys({KEY})
    project.write_dataset("extra", chat_examples("changed"))
    go("-v", "destroy", "--auto-approve", expect=1)
    project.emulator.set_non_owner_keys(set())
    manifest = (root / "manifests" / "project.yaml").read_text()
    project.write_manifest(manifest.replace(project.emulator.base_url, f"http://127.0.0.1:{closed_port()}/v1"))
    go("-v", "plan", expect=1, env={"FTOPS_DEBUG": "1"})
    project.write_manifest((root / "manifests" / "project.yaml").read_text().replace(
        "type: openai", "type: emulator"))
    go("-v", "plan", "--provider", "emulator")
    project.write_manifest(_manifest_for(project))
    go("destroy", "--auto-approve")

    # Errors that show a request show it redacted (the -v ones print tracebacks).
    for args, done in runs:
        shown = done.stdout + done.stderr
        assert not leaks(shown), (args, leaks(shown), shown[-2000:])
        assert "Traceback" not in done.stderr or args[0] == "-v", (args, done.stderr)
    verbose_failures = [done.stderr for args, done in runs if args[0] == "-v" and done.returncode == 1]
    assert any("Traceback" in err for err in verbose_failures)  # -v really showed the internals
    assert (tmp_path / "emulator-0").is_dir()  # the fixture's emulator data folder, checked below
    for path in files_under(tmp_path):  # the project (state, backup, plans, locks) and the emulator
        assert not leaks(path.read_bytes()), path
    assert len(runs) == 32  # every command above ran


def _manifest_for(project: Project) -> str:
    from e2e.support import MANIFEST
    return MANIFEST.replace("{base_url}", project.emulator.base_url)


def test_the_emulator_served_from_the_cli_keeps_no_key(tmp_path: Path) -> None:
    data = tmp_path / "emulator-data"
    port = closed_port()
    environment = {**os.environ, "OPENAI_API_KEY": KEY, "PYTHONPATH": str(REPO)}
    server = subprocess.Popen(
        [sys.executable, "-m", "ftops", "-v", "emulator", "serve", "--port", str(port), "--data", str(data),
         "--speed", "2000"], env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        client = openai.OpenAI(api_key=KEY, base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.models.list()
                break
            except openai.APIConnectionError:
                assert time.monotonic() < deadline and server.poll() is None, "the emulator did not start"
                time.sleep(0.1)
        upload = client.files.create(file=("t.jsonl", b'{"messages": []}\n'), purpose="fine-tune")
        with pytest.raises(openai.NotFoundError) as missing:
            client.models.retrieve("ft:nope")
        assert not leaks(str(missing.value))
        client.files.delete(upload.id)
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    assert not leaks(out + err), out + err
    assert files_under(data), "the emulator wrote nothing: nothing was checked"
    for path in files_under(data):
        assert not leaks(path.read_bytes()), path


class _EchoingService(BaseHTTPRequestHandler):
    """A service that answers 401 and echoes the credential it got, as a careless proxy might
    (OpenAI's own 401 echoes a masked key)."""

    def do_GET(self) -> None:
        credential = self.headers.get("Authorization", "")
        body = json.dumps({"error": {
            "message": f"Incorrect API key provided: {credential.removeprefix('Bearer ')}. "
                       f"Request headers: Authorization: {credential}",
            "type": "invalid_request_error", "code": "invalid_api_key", "param": None}}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.mark.parametrize("verbose", [False, True], ids=["plain", "verbose"])
def test_an_error_that_echoes_the_key_shows_it_redacted(project: Project, verbose: bool) -> None:
    service = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingService)
    thread = threading.Thread(target=service.serve_forever, daemon=True)
    thread.start()
    try:
        root = project.root
        manifest = (root / "manifests" / "project.yaml").read_text()
        project.write_manifest(manifest.replace(project.emulator.base_url,
                                                f"http://127.0.0.1:{service.server_address[1]}/v1"))
        done = ftops(root, *(["-v"] if verbose else []), "plan")
    finally:
        service.shutdown()
        service.server_close()
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Incorrect API key provided: [REDACTED]" in done.stderr, done.stderr  # the request is shown...
    assert not leaks(done.stdout + done.stderr), done.stderr  # ...with the key redacted
    assert ("Traceback" in done.stderr) is verbose
