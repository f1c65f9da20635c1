"""Issue 22 through the CLI, against a served emulator, on every backend: a rolled-back state is
refused naming both serials; a saved plan applied again after a restore is refused with no
second upload or job; a backend that fails mid-apply shows what was done and the real error
before the lock; a PostgreSQL restart during slow creates leaves one job per resource."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from pg_server import PostgresServer
from tests_state_support import BackendUnderTest

from ftops.emulator import EmulatorConfig, RunningEmulator, start_background
from ftops.state import BaseStorage, StateSnapshot

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the end-to-end helpers
from e2e.support import FAKE_KEY, SPEED, Project, Result, make_project, spawn

DECLARED_FILES, DECLARED_JOBS = 3, 2  # in e2e.support.MANIFEST


@pytest.fixture
def emulator(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[RunningEmulator]:
    param = getattr(request, "param", None)  # a fault spec, or EmulatorConfig settings
    settings = param if isinstance(param, dict) else {"faults": param}
    emu = start_background(EmulatorConfig(data_dir=tmp_path / "emulator", **{"speed": SPEED, **settings}))
    yield emu
    emu.stop()


@pytest.fixture
def project(backend: BackendUnderTest, emulator: RunningEmulator, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Project:
    """The end-to-end project, its state in the backend under test."""
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("CI", raising=False)
    project = make_project(tmp_path / "project", emulator)
    manifest = project.root / "manifests" / "project.yaml"
    text = manifest.read_text()
    start, end = text.index("backend:\n"), text.index("datasets:\n")
    manifest.write_text(text[:start] + backend_block(backend) + text[end:])
    if backend.type == "local":
        backend.root = project.root  # the state file lives in the project
    return project


def backend_block(backend: BackendUnderTest) -> str:
    if backend.type == "local":
        return f"backend:\n  type: local\n  path: {backend.path}\n"
    options = "".join(f"  {name}: {value}\n" for name, value in backend.options.items())
    return f"backend:\n  type: {backend.type}\n{options}"


def ftops(project: Project, *args: str, stdin: str = "") -> Result:
    """``ftops ARGS`` in this process, from the project root (so faults can be injected)."""
    from ftops.cli import main

    here = os.getcwd()
    argv = sys.argv
    os.chdir(project.root)
    sys.argv = ["ftops", *args]
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                main()
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    finally:
        os.chdir(here)
        sys.argv = argv
    return Result(code, out.getvalue(), err.getvalue())


def restore(storage: BaseStorage, older: StateSnapshot) -> None:
    """Put an older version back as a person restoring a backup would: behind ftops' back."""
    _, version = storage._load()
    storage._store(older, older.to_text(), version)


def edit_dataset(project: Project, name: str, tag: str) -> None:
    path = project.root / "datasets" / f"{name}.jsonl"
    lines = path.read_text().splitlines()
    example = json.loads(lines[0])
    example["messages"][-1]["content"] += f" ({tag})"
    path.write_text("\n".join([json.dumps(example), *lines[1:]]) + "\n")


# ---- rollbacks --------------------------------------------------------------------------------


def test_a_plan_on_a_rolled_back_state_exits_1_naming_both_serials(
    backend: BackendUnderTest, project: Project, tmp_path: Path
) -> None:
    assert ftops(project, "apply", "--auto-approve").code == 0
    storage = backend.open()
    older = storage.read()
    assert older is not None
    edit_dataset(project, "extra", "v2")
    assert ftops(project, "apply", "--auto-approve").code == 0
    newest = storage.read()
    assert newest is not None and newest.serial > older.serial
    restore(storage, older)

    planned = ftops(project, "plan")
    assert planned.code == 1, planned.text
    assert f"the state went back from serial {newest.serial} to {older.serial}" in planned.err
    assert "state push --force" in planned.err
    assert "Traceback" not in planned.text
    assert ftops(project, "apply", "--auto-approve").code == 1  # no write reuses a serial

    # Kept on purpose: pulled and pushed back with --force, it becomes the newest, above them all.
    pulled = ftops(project, "state", "pull")
    (tmp_path / "older.json").write_text(pulled.out)
    pushed = ftops(project, "state", "push", "--force", str(tmp_path / "older.json"))
    assert pushed.code == 0, pushed.text
    kept = backend.open().read()
    assert kept is not None and kept.serial == newest.serial + 1
    assert kept.content_equal(older)
    assert ftops(project, "plan").code == 0


# ---- saved plans ------------------------------------------------------------------------------


def test_a_saved_plan_applied_again_after_a_restore_is_refused_and_creates_nothing(
    backend: BackendUnderTest, project: Project, tmp_path: Path
) -> None:
    assert ftops(project, "apply", "--auto-approve", "--target", "datasets.train").code == 0
    storage = backend.open()
    base = storage.read()
    assert base is not None
    plan_file = tmp_path / "changes.plan"
    assert ftops(project, "plan", "--out", str(plan_file)).code == 0
    assert ftops(project, "apply", str(plan_file)).code == 0
    files, jobs = len(project.our_files()), len(project.our_jobs())
    assert (files, jobs) == (DECLARED_FILES, DECLARED_JOBS)
    mutating = len(project.mutating())

    restore(storage, base)  # the plan's base state is back: lineage, serial and inputs all match
    again = ftops(project, "apply", str(plan_file))
    assert again.code == 1, again.text
    assert "saved plan is stale" in again.err
    assert re.search(rf"made from serial {base.serial} .* has held serial \d+ since", again.err)
    assert (len(project.our_files()), len(project.our_jobs())) == (files, jobs)
    assert len(project.mutating()) == mutating


def test_a_saved_plan_whose_creates_the_account_holds_is_refused_even_with_the_record_restored_too(
    backend: BackendUnderTest, project: Project, tmp_path: Path
) -> None:
    """A whole backup restored (the state and the record of its highest serial alike): the
    account, read again before the saved plan runs, still says the plan was applied."""
    if backend.type != "local":
        pytest.skip("the record is a file beside the local state; elsewhere the history holds it")
    assert ftops(project, "apply", "--auto-approve", "--target", "datasets.train").code == 0
    state_dir = project.root / "state"
    saved = {p.name: p.read_bytes() for p in state_dir.iterdir() if p.is_file()}
    plan_file = tmp_path / "changes.plan"
    assert ftops(project, "plan", "--out", str(plan_file)).code == 0
    assert ftops(project, "apply", str(plan_file)).code == 0
    mutating = len(project.mutating())
    for path in state_dir.iterdir():
        if path.is_file():
            path.unlink()
    for name, data in saved.items():
        (state_dir / name).write_bytes(data)

    again = ftops(project, "apply", str(plan_file))
    assert again.code == 1, again.text
    assert "saved plan is stale: the account already holds what it would create" in again.err
    assert re.search(r"jobs\.a \(job ftjob-\S+", again.err)
    assert len(project.mutating()) == mutating
    assert len(project.our_jobs()) == DECLARED_JOBS


# ---- a create an earlier run may still have on its way -----------------------------------------


def test_an_upload_an_earlier_run_left_pending_is_awaited_found_and_adopted(
    backend: BackendUnderTest, project: Project, tmp_path: Path
) -> None:
    """Run A (on another host, its lock broken) wrote its intent and sent an upload that lands
    late. Run B neither uploads again at once nor misses it: it waits until A's requests can no
    longer land, looks, and adopts A's file."""
    from ftops.plan.model import UploadFile
    from ftops.plan.planfile import load_plan
    from ftops.plan.records import PendingRecord, pending_key
    from ftops.state.lock import format_time

    assert ftops(project, "apply", "--auto-approve", "--target", "datasets.valid").code == 0
    plan_file = tmp_path / "train.plan"
    assert ftops(project, "plan", "--target", "datasets.train", "--out", str(plan_file)).code == 0
    upload = next(s for c in load_plan(plan_file).changes for s in c.steps if isinstance(s, UploadFile))
    storage = backend.open()
    state = storage.read()
    assert state is not None
    settled_by = format_time(time.time() + 8)  # room for a slow machine to reach the upload
    intent = PendingRecord("file", upload.address, upload.filename, "2026-11-24T20:00:00Z",
                           settled_by, "ci@another-runner", 4242)
    storage.write(state.with_resources({**state.resources, pending_key(upload.address): intent.to_json()}))

    landed: list[str] = []
    late = threading.Timer(2.0, lambda: landed.append(project.account().files.create(
        file=(upload.filename, Path(upload.path).read_bytes()), purpose="fine-tune").id))
    late.start()
    try:
        result = ftops(project, "apply", "--auto-approve", "--target", "datasets.train")
    finally:
        late.join()
    assert result.code == 0, result.text
    assert "was creating it and its request may still land; waiting" in result.out
    assert f"adopted {landed[0]}, uploaded by an earlier run" in result.out
    named = [f for f in project.our_files() if f.filename == upload.filename]
    assert [f.id for f in named] == landed  # one upload of it, A's
    stored = backend.open().read()
    assert stored is not None and stored.resources[upload.address]["file_id"] == landed[0]
    assert pending_key(upload.address) not in stored.resources


# ---- the real error first ---------------------------------------------------------------------


def test_a_backend_failing_mid_apply_shows_what_was_done_then_the_error_then_the_lock(
    backend: BackendUnderTest, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The local disk fills up once the uploads are done, and the lock file cannot be removed
    (a read-only folder): the uploads are reported with their ids, the full disk names the
    state file, and the lock comes last with its next step, not as an internal error."""
    if backend.type != "local":
        pytest.skip("faults of the file system are injected into the local backend")
    import ftops.state.local as local

    real_write, real_unlink = local._atomic_write, os.unlink
    state_path = project.root / "state" / "ftops.state.json"

    def full_disk_once_uploaded(path: Path, data: bytes, *, durable: bool = True) -> None:
        if path == state_path and b'\n    "datasets.' in data:  # a dataset's record, not an intent
            raise OSError(28, "No space left on device")
        real_write(path, data, durable=durable)

    def read_only_lock(path: object, *args: object, **kwargs: object) -> None:
        if str(path).endswith(".lock"):
            raise PermissionError(13, "Permission denied", str(path))
        real_unlink(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(local, "_atomic_write", full_disk_once_uploaded)
    monkeypatch.setattr(local.os, "unlink", read_only_lock)
    result = ftops(project, "apply", "--auto-approve")
    monkeypatch.undo()

    assert result.code == 1
    assert "internal error" not in result.text and "Traceback" not in result.text
    unrecorded = r"datasets\.\w+: uploaded as (file-\S+), but the state could not record it"
    uploads = re.findall(unrecorded, result.err)
    assert uploads, result.err
    assert {f.id for f in project.our_files()} >= set(uploads)
    assert "ftops.state.json: No space left on device" in result.err
    lines = result.err.splitlines()
    real = next(i for i, line in enumerate(lines) if "No space left on device" in line)
    lock = next(i for i, line in enumerate(lines) if "cannot release the lock" in line)
    assert real < lock, result.err
    assert "Permission denied" in lines[lock] and "ftops.state.json.lock" in lines[lock]
    assert "ftops force-unlock" in "\n".join(lines[lock:])
    assert "Apply failed" in result.out


# ---- a database restart during slow creates ----------------------------------------------------


SLOW_CREATES = "[POST /v1/fine_tuning/jobs] latency:8s"


@pytest.mark.parametrize("emulator", [SLOW_CREATES], indirect=True)
def test_a_database_restart_during_slow_creates_trains_each_job_once(
    backend: BackendUnderTest, project: Project, pg_server: PostgresServer
) -> None:
    """Issue 22, scenario 1, as it was met: apply A sends slow job creates, the database
    restarts, and the lock A still holds is not given away: force-unlock refuses, apply B waits
    for A, and the account holds one job per resource; A releases its lock and exits 0."""
    if backend.type != "postgres":
        pytest.skip("a database restart is a PostgreSQL scenario")
    env = {"FTOPS_LOCK_LEASE": "10"}  # longer than a restart takes on a loaded machine
    first = spawn_with(project, env, "apply", "--auto-approve")
    storage = backend.open()
    deadline = time.monotonic() + 60
    while not creating_a_job(storage):  # its intent is stored just before a create is sent
        assert time.monotonic() < deadline and first.poll() is None, first.communicate()
        time.sleep(0.05)
    holder = storage.current_lock()
    assert holder is not None
    pg_server.restart()  # while the creates are on their way (each takes 8 s)

    refused = ftops(project, "force-unlock", holder.id)
    assert refused.code == 1, refused.text
    assert "still running; its lease expires at" in refused.err
    second = spawn_with(project, env, "apply", "--auto-approve", "--lock-timeout", "120s")
    out_a, err_a = first.communicate(timeout=300)
    left = backend.open().current_lock()
    assert left is None or left.id != holder.id, (left, out_a, err_a)
    out_b, err_b = second.communicate(timeout=300)
    assert first.returncode == 0, out_a + err_a
    assert second.returncode == 0, out_b + err_b
    assert len(project.our_jobs()) == DECLARED_JOBS
    assert len(project.our_files()) == DECLARED_FILES
    assert backend.open().current_lock() is None


@pytest.mark.parametrize("emulator", [{"speed": 40.0}], indirect=True)
def test_a_database_restart_during_apply_wait_does_not_fail_the_run(
    backend: BackendUnderTest, project: Project, pg_server: PostgresServer
) -> None:
    """Issue 22: ``apply --wait`` releases the lock while its jobs train; the database restarts
    meanwhile; when the jobs end, the run reconnects, takes the lock back and promotes."""
    if backend.type != "postgres":
        pytest.skip("a database restart is a PostgreSQL scenario")
    run = spawn(project, "apply", "--auto-approve", "--wait")
    storage = backend.open()
    deadline = time.monotonic() + 60
    while not waiting_unlocked(storage):
        assert time.monotonic() < deadline and run.poll() is None, run.communicate()
        time.sleep(0.05)
    pg_server.restart()
    assert run.poll() is None, "the jobs ended before the restart: nothing was tested"
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, out + err
    state = backend.open().read()
    assert state is not None and {"models.alpha", "models.beta"} <= set(state.resources)
    assert backend.open().current_lock() is None


def waiting_unlocked(storage: BaseStorage) -> bool:
    """The apply created its jobs and released the lock to wait for them."""
    state = storage.read()
    jobs = state is not None and {"jobs.a", "jobs.b"} <= set(state.resources)
    return jobs and storage.current_lock() is None


def creating_a_job(storage: BaseStorage) -> bool:
    state = storage.read()
    return state is not None and any(key.startswith("pending.jobs.") for key in state.resources)


def spawn_with(project: Project, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        return spawn(project, *args)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

