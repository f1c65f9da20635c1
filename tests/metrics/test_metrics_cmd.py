"""``ftops metrics`` end to end: the example applied on a fixture emulator, then its curves
as a chart, a PNG, a CSV and JSON; a job id found through the SDK; the clear errors."""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from pathlib import Path

import openai
import pytest
from gitops.support import FAKE_KEY, run_ftops, start_emulator

from ftops.emulator import RunningEmulator

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def applied(example: Path, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> Path:
    result = run_ftops(example, "apply", "--auto-approve", "--wait", monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    return example


def test_chart_png_and_csv_of_the_applied_example(applied: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_ftops(applied, "metrics", "jobs.chunsik", "--plot", "curves.png", "--csv", "curves.csv",
                       monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    out = result.out
    assert "* training loss   o validation loss" in out
    assert "jobs.chunsik (ftjob-" in out and ": succeeded, 180 steps" in out
    assert "final validation loss" in out and "lowest validation loss" in out
    assert "ckpt-step-180" in out  # the checkpoints listing
    assert "No sign of overfitting" in out  # the emulator's curves keep falling
    png = (applied / "curves.png").read_bytes()
    assert png.startswith(PNG_MAGIC) and len(png) > 10_000
    with (applied / "curves.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 180 and [int(r["step"]) for r in rows] == list(range(1, 181))
    assert all(float(r["train_loss"]) > 0 for r in rows)
    with_checkpoint = [r for r in rows if r["checkpoint"]]
    assert [int(r["step"]) for r in with_checkpoint] == [60, 120, 180]
    assert not list(applied.glob(".curves*"))  # no temporary file left behind


def test_json_and_the_model_address(applied: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    by_job = json.loads(run_ftops(applied, "metrics", "jobs.chunsik", "--json", monkeypatch=monkeypatch).out)
    by_model = json.loads(run_ftops(applied, "metrics", "models.chunsik", "--json",
                                    monkeypatch=monkeypatch).out)
    assert by_job["job_id"] == by_model["job_id"] and by_job["job_id"].startswith("ftjob-")
    assert len(by_job["steps"]) == 180 and len(by_job["checkpoints"]) == 3
    assert by_job["summary"]["overfitting"]["judged"] is True
    assert by_job["summary"]["final_train_loss"]["step"] == 180


def finished_job(emu: RunningEmulator) -> str:
    """A job made with the SDK alone (no ftops), trained to the end."""
    client = openai.OpenAI(api_key=FAKE_KEY, base_url=emu.base_url, max_retries=0)
    repo = Path(__file__).resolve().parents[2]
    with (repo / "datasets" / "chunsik-train.jsonl").open("rb") as handle:
        training = client.files.create(file=handle, purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=training.id)
    deadline = time.monotonic() + 60  # a generous bound for a loaded machine; usually < 1 s
    while job.status not in ("succeeded", "failed", "cancelled") and time.monotonic() < deadline:
        time.sleep(0.05)
        job = client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "succeeded"
    return job.id


def test_a_job_id_without_validation_file(example: Path, emulator: RunningEmulator,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    job_id = finished_job(emulator)
    result = run_ftops(example, "metrics", job_id, "--csv", "t.csv", monkeypatch=monkeypatch)
    assert result.code == 0, result.err
    assert f"{job_id}: succeeded" in result.out
    assert "* training loss" in result.out and "o validation loss" not in result.out
    assert "Not enough validation points to judge overfitting (0, need 8)" in result.out
    rows = list(csv.DictReader(io.StringIO((example / "t.csv").read_text())))
    assert rows and all(r["valid_loss"] == "" for r in rows)


def test_a_running_job_has_no_result_file_yet(example: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    slow = start_emulator(tmp_path / "slow", speed=1.0)  # the job stays queued or running
    try:
        monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", slow.base_url)
        assert run_ftops(example, "apply", "--auto-approve", monkeypatch=monkeypatch).code == 0
        result = run_ftops(example, "metrics", "jobs.chunsik", monkeypatch=monkeypatch)
    finally:
        slow.stop()
    assert result.code == 1
    assert "has no result file yet: the service writes it when the job succeeds" in result.err
    assert "ftops wait" in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("jobs.nope", "jobs.nope is not in the state (jobs in the state: jobs.chunsik)"),
        ("models.nope", "models.nope points at no model in the state yet"),
        ("chunsik", "use jobs.NAME, models.NAME or a job id"),
        ("ftjob-missing", "retrieve job ftjob-missing: No such fine-tuning job"),
    ],
)
def test_bad_addresses_are_one_line(applied: Path, monkeypatch: pytest.MonkeyPatch,
                                    address: str, message: str) -> None:
    result = run_ftops(applied, "metrics", address, monkeypatch=monkeypatch)
    assert result.code == 1
    assert message in result.err
    assert FAKE_KEY not in result.err + result.out


def test_plot_without_matplotlib_names_the_extra(applied: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if the extra were not installed
    result = run_ftops(applied, "metrics", "jobs.chunsik", "--plot", "c.png", "--csv", "c.csv",
                       monkeypatch=monkeypatch)
    assert result.code == 1
    assert "Error: --plot needs matplotlib, which is not installed (the 'plot' extra)" in result.err
    # ftops runs here from a source checkout: the hint installs the extra from it (issue 17).
    checkout = Path(__file__).resolve().parents[2]
    assert f"Install it: pip install -e '{checkout}[plot]'" in result.err
    assert not (applied / "c.png").exists() and not (applied / "c.csv").exists()
