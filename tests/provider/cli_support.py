"""Run ``ftops`` in this process, as the console script does, and a tiny scripted HTTP server
that stands in for a service no one here wrote."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from gitops.support import Result, run_ftops

FAKE_KEY = "sk-test-provider-0123456789abcdefghij"

MANIFEST = """\
project: odd
provider: {{type: openai, base_url: "{base_url}"}}
backend: {{type: local, path: state/ftops.state.json}}
datasets:
  train: {{file: ../datasets/train.jsonl}}
jobs:
  tune: {{model: gpt-4o-mini-2024-07-18, training_file: train, hyperparameters: {{n_epochs: 1}}}}
"""

EXAMPLE = {"messages": [{"role": "user", "content": "Who is Chunsik?"},
                        {"role": "assistant", "content": "Ryan's cat."}]}


def make_project(root: Path, base_url: str) -> Path:
    for folder in ("manifests", "datasets", "state"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "manifests" / "main.yaml").write_text(MANIFEST.format(base_url=base_url))
    (root / "datasets" / "train.jsonl").write_text("".join(json.dumps(EXAMPLE) + "\n" for _ in range(10)))
    return root


def run_cli(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    """``ftops ARGS`` in this process from ``root``, with a key and no colour."""
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("NO_COLOR", "1")
    return run_ftops(root, *args, monkeypatch=monkeypatch)


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]


@dataclass
class ScriptedServer:
    """Answers each GET with ``answer(path, query)`` (a JSON body); records every request."""

    answer: Callable[[str, dict[str, list[str]]], Any]
    seen: list[Seen] = field(default_factory=list)
    base_url: str = ""


@contextmanager
def scripted_server(answer: Callable[[str, dict[str, list[str]]], Any]) -> Iterator[ScriptedServer]:
    state = ScriptedServer(answer)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            with lock:
                state.seen.append(Seen(self.command, parts.path, query))
            body = json.dumps(state.answer(parts.path, query)).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = _reply
        do_POST = _reply
        do_DELETE = _reply

        def log_message(self, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
