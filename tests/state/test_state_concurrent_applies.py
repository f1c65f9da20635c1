"""Issue 6's end-to-end promise: four ``ftops apply`` processes started at once on the same
manifests and backend, against the emulator. One applies; the others wait for the lock
(``--lock-timeout``) or fail naming its holder; the state's serial only grows; the
emulator holds exactly one upload and one job per declared object.

Runs on every backend; the project and the emulator come from the end-to-end helpers.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests_state_support import BackendUnderTest

from ftops.emulator import EmulatorConfig, RunningEmulator, start_background
from ftops.errors import StateError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the end-to-end helpers
from e2e.support import SPEED, make_project, spawn

DECLARED_FILES, DECLARED_JOBS = 3, 2  # in e2e.support.MANIFEST


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[RunningEmulator]:
    emu = start_background(EmulatorConfig(data_dir=tmp_path / "emulator", speed=SPEED))
    yield emu
    emu.stop()


def backend_block(backend: BackendUnderTest) -> str:
    if backend.type == "local":
        return f"backend:\n  type: local\n  path: {backend.path}\n"
    options = "".join(f"  {name}: {value}\n" for name, value in backend.options.items())
    return f"backend:\n  type: {backend.type}\n{options}"


def watch_serials(backend: BackendUnderTest, stop: threading.Event, seen: list[int]) -> None:
    storage = backend.open()
    while not stop.is_set():
        try:
            state = storage.read()
        except StateError:  # e.g. a remote read racing the server's shutdown: not what we watch
            state = None
        if state is not None:
            seen.append(state.serial)
        time.sleep(0.05)


def test_four_concurrent_applies_never_collide(
    backend: BackendUnderTest, emulator: RunningEmulator, tmp_path: Path
) -> None:
    project = make_project(tmp_path / "project", emulator)
    manifest = (project.root / "manifests" / "project.yaml").read_text()
    start = manifest.index("backend:\n")
    end = manifest.index("datasets:\n")
    (project.root / "manifests" / "project.yaml").write_text(
        manifest[:start] + backend_block(backend) + manifest[end:]
    )
    if backend.type == "local":
        backend.root = project.root  # the state file lives in the project

    seen: list[int] = []
    stop = threading.Event()
    watcher = threading.Thread(target=watch_serials, args=(backend, stop, seen))
    watcher.start()
    try:
        waiting = [
            spawn(project, "apply", "--auto-approve", "--wait", "--lock-timeout", "300s") for _ in range(2)
        ]
        impatient = [spawn(project, "apply", "--auto-approve", "--wait") for _ in range(2)]
        results = {proc: proc.communicate(timeout=600) for proc in waiting + impatient}
    finally:
        stop.set()
        watcher.join()

    for proc in waiting:
        assert proc.returncode == 0, results[proc][1]
    for proc in impatient:
        _, err = results[proc]
        assert proc.returncode in (0, 1), err
        if proc.returncode == 1:
            holder = re.search(r"lock ID \S+ held by \S+ \(pid (\d+)\) for 'apply'", err)
            assert holder is not None, err
            assert int(holder[1]) in {p.pid for p in waiting + impatient}
        assert "Traceback" not in err
    assert len(project.our_files()) == DECLARED_FILES
    assert len(project.our_jobs()) == DECLARED_JOBS
    final = backend.open().read()
    assert final is not None and final.serial > 0
    assert seen == sorted(seen), "the serial went down"
    assert not seen or seen[-1] <= final.serial
    assert backend.open().current_lock() is None
