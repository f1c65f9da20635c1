"""Helpers for the state tests (kept apart from conftest so test modules can import them)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftops.resources import BackendConfig
from ftops.state import BaseStorage, open_storage

__all__ = ["S3_BUCKET", "BackendUnderTest", "hold_lock", "release"]

S3_BUCKET = "ftops-state-tests"

WORKER = Path(__file__).with_name("state_worker.py")
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class BackendUnderTest:
    """A backend configuration under test, openable here and in other processes."""

    type: str
    root: Path
    path: str = "state/ftops.state.json"
    options: dict[str, Any] = field(default_factory=dict)
    opened: list[BaseStorage] = field(default_factory=list)

    def config(self) -> BackendConfig:
        return BackendConfig(type=self.type, path=self.path, options=self.options)

    def open(self) -> BaseStorage:
        storage = open_storage(self.config(), self.root)
        self.opened.append(storage)
        return storage

    def spec(self) -> str:
        return json.dumps(
            {"type": self.type, "path": self.path, "options": self.options, "root": str(self.root)}
        )

    def worker(self, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, str(WORKER), self.spec(), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
            **kwargs,
        )

    def close_all(self) -> None:
        for storage in self.opened:
            storage.close()


def hold_lock(
    backend: BackendUnderTest, action: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    """Start a worker that takes the lock; return it and the lock id once it holds the lock."""
    proc = backend.worker(action, env=env) if env is not None else backend.worker(action)
    assert proc.stdout is not None
    lock_id = proc.stdout.readline().strip()
    if not lock_id:
        _, err = proc.communicate(timeout=30)
        raise AssertionError(f"worker could not take the lock: {err}")
    return proc, lock_id


def release(proc: subprocess.Popen[str]) -> None:
    """Let a holding worker unlock and exit."""
    if proc.poll() is None:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
