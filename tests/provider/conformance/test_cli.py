"""Through the CLI, per provider: a tiny project plans, applies with ``--wait`` and converges to
``No changes.``, also when the answer to its upload or its job create is lost on the way (the
executor looks, finds and adopts: one upload, one job), and when the apply is SIGKILLed right
after its upload or its job create reached the service (the next apply finds them by the
intent it journalled); a refused key is one line, exit 1."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
from gitops.support import Result, run_ftops

from ftops.emulator import RunningEmulator
from ftops.provider.base import FineTuningProvider

from .conftest import KEY
from .subjects import Subject
from .support import sent, upload, write_dataset

Run = Callable[..., Result]
REPO = Path(__file__).resolve().parents[3]
# Not a speed assertion: a guard so that an apply that never reaches the request fails the test.
NEVER_REACHED_S = 60.0

MANIFEST = """\
project: {project}
{provider}backend: {{type: local, path: state/ftops.state.json}}
datasets:
  train: {{file: ../datasets/train.jsonl}}
jobs:
  tune:
    model: {model}
    training_file: train
    suffix: conf
    method: {{type: supervised, hyperparameters: {{n_epochs: 1}}}}
models:
  assistant:
    job: tune
    checks:
      - messages: [{{role: user, content: Who is Chunsik?}}]
        contains: Ryan
"""


@pytest.fixture
def ftops(subject: Subject, emulator: RunningEmulator, project: str, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> Run:
    root = tmp_path / "project"
    for folder in ("manifests", "datasets", "state"):
        (root / folder).mkdir(parents=True)
    (root / "manifests" / "main.yaml").write_text(MANIFEST.format(
        project=project, provider=subject.manifest_provider(emulator), model=subject.base_model))
    write_dataset(root / "datasets" / "train.jsonl", f"{project}: the command line")
    for name in subject.capabilities.secret_env_vars:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(subject.key_env, KEY)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("CI", raising=False)

    def run(*args: str) -> Result:
        result = run_ftops(root, *args, monkeypatch=monkeypatch)
        assert KEY not in result.out + result.err
        return result

    return run


@pytest.mark.parametrize("lost", [None, "upload", "job-create"])
def test_plan_apply_wait_converges_with_one_upload_and_one_job(
    lost: str | None, subject: Subject, emulator: RunningEmulator, ftops: Run,
) -> None:
    run = ftops
    before = subject.count_jobs(emulator)
    planned = run("plan")
    assert planned.code == 0, planned.err
    assert "jobs.tune" in planned.out and "datasets.train" in planned.out
    if lost is not None:
        path = subject.file_upload_path if lost == "upload" else subject.job_create_path
        emulator.set_faults(f"[POST {path}] seq:drop-after")
    applied = run("apply", "--auto-approve", "--wait")
    assert applied.code == 0, applied.out + applied.err
    emulator.set_faults(None)
    if lost is not None:
        assert "found it in the account, adopting it" in applied.out + applied.err
    # Each create was sent once: a lost answer was found, never sent again.
    for kind, path in (("upload", subject.file_upload_path), ("job-create", subject.job_create_path)):
        assert sent(emulator, path) == ["drop-after" if lost == kind else None], kind
    assert subject.count_jobs(emulator) == before + 1

    emulator.clear_requests()
    again = run("plan")
    assert again.code == 0 and "No changes." in again.out, again.out
    assert [r for r in emulator.requests() if r.mutating] == []


def test_a_refused_key_is_one_line_and_exit_1(emulator: RunningEmulator, ftops: Run) -> None:
    emulator.set_revoked_keys({KEY})
    refused = ftops("plan")
    assert refused.code == 1
    errors = [line for line in refused.err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "401" in errors[0], refused.err
    assert "Traceback" not in refused.err


@pytest.mark.parametrize("killed_after", ["upload", "job-create"])
def test_an_apply_killed_after_a_create_converges_without_a_second_one(
    killed_after: str, subject: Subject, emulator: RunningEmulator, ftops: Run, tmp_path: Path,
) -> None:
    before = subject.count_jobs(emulator)
    path = subject.file_upload_path if killed_after == "upload" else subject.job_create_path
    hold = emulator.hold_mutation(1, path)  # that request is done, its answer held back
    process = subprocess.Popen(
        [sys.executable, "-m", "ftops", "apply", "--auto-approve", "--wait"], cwd=tmp_path / "project",
        env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    try:
        reached = hold.reached.wait(NEVER_REACHED_S)
        os.kill(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        assert reached, out + err
    finally:
        hold.release()
    assert fnmatchcase([r.path for r in emulator.requests() if r.mutating][-1], path)

    stale = ftops("apply", "--auto-approve", "--wait")
    assert stale.code == 1 and "the holder is gone" in stale.err, stale.err  # the user's next step:
    lock_id = re.search(r"ftops force-unlock (\S+)", stale.err)
    assert lock_id is not None and ftops("force-unlock", lock_id.group(1)).code == 0
    converged = ftops("apply", "--auto-approve", "--wait")
    assert converged.code == 0, converged.out + converged.err
    for created in (subject.file_upload_path, subject.job_create_path):
        assert len(sent(emulator, created)) == 1, created
    assert subject.count_jobs(emulator) == before + 1
    assert "No changes." in ftops("plan").out


def test_a_project_on_bytes_another_project_uploaded_first_converges(
    subject: Subject, emulator: RunningEmulator, provider: FineTuningProvider, project: str, ftops: Run,
    tmp_path: Path,
) -> None:
    """Together answers the upload with the neighbour's file: the project records it by its id,
    and its job on that file must still be seen as its own by the next plan."""
    upload(provider, project + "-first", "train", tmp_path / "project" / "datasets" / "train.jsonl")
    before = subject.count_jobs(emulator)
    applied = ftops("apply", "--auto-approve", "--wait")
    assert applied.code == 0, applied.out + applied.err
    again = ftops("plan")
    assert again.code == 0 and "No changes." in again.out, again.out
    assert subject.count_jobs(emulator) == before + 1


def test_after_a_lost_state_the_account_is_adopted_not_made_again(
    subject: Subject, emulator: RunningEmulator, project: str, ftops: Run, tmp_path: Path,
) -> None:
    assert ftops("apply", "--auto-approve", "--wait").code == 0
    jobs = subject.count_jobs(emulator)
    for saved in (tmp_path / "project" / "state").iterdir():  # the state and its backup: gone
        saved.unlink()
    emulator.clear_requests()
    adopted = ftops("apply", "--auto-approve", "--wait")
    assert adopted.code == 0, adopted.out + adopted.err
    assert "adopted" in adopted.out, adopted.out
    for created in (subject.file_upload_path, subject.job_create_path):
        assert sent(emulator, created) == [], created
    assert subject.count_jobs(emulator) == jobs
    again = ftops("plan")
    assert "No changes." in again.out, again.out


def test_status_metrics_then_destroy_leave_nothing_of_the_project(
    subject: Subject, emulator: RunningEmulator, provider: FineTuningProvider, project: str, ftops: Run,
) -> None:
    assert ftops("apply", "--auto-approve", "--wait").code == 0
    output = ftops("output", "assistant", "--json")
    assert output.code == 0, output.err
    model = json.loads(output.out)
    assert model in {m.id for m in provider.list_models()}
    status = ftops("status")
    assert status.code == 0 and "jobs.tune" in status.out, status.out + status.err
    metrics = ftops("metrics", "jobs.tune")
    assert metrics.code == 0, metrics.out + metrics.err

    emulator.clear_requests()
    destroyed = ftops("destroy", "--auto-approve")
    assert destroyed.code == 0, destroyed.out + destroyed.err
    assert [r for r in emulator.requests() if r.method == "DELETE"], "destroy deleted nothing"
    ours = f"ftops-{project}--"
    assert not [f for f in provider.list_files() if f.filename.startswith(ours) and f.usable]
    assert model not in {m.id for m in provider.list_models()}
