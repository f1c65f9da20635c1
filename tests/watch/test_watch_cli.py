"""``apply --wait``, ``wait`` and ``status`` as a person and a CI log see them, run as real processes
on a copy of the example against the embedded emulator."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from .conftest import run_on_terminal, run_piped

JOB_LINE = re.compile(r"^jobs\.chunsik: (\S+)(.*)$")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def job_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if JOB_LINE.match(line) and "created job" not in line]


def state(root: Path) -> dict[str, dict[str, object]]:
    path = root / ".ftops" / "emulator" / "ftops.state.json"
    resources: dict[str, dict[str, object]] = json.loads(path.read_text())["resources"]
    return resources


def assert_plain_progress(lines: list[str]) -> None:
    assert lines, "no job progress lines"
    assert len(lines) == len(set(lines)), f"a line was repeated: {lines}"
    # A line per status change and per tenth of the steps, at most: never a flood.
    assert len(lines) <= 3 + 11 + 1, lines
    statuses = [JOB_LINE.match(line).group(1) for line in lines]  # type: ignore[union-attr]
    assert statuses[-1] == "succeeded"
    assert "running" in statuses
    running = [line for line in lines if line.startswith("jobs.chunsik: running") and "steps" in line]
    assert running, f"no step counts while running: {lines}"
    assert re.search(r"running  \d+/180 steps \(\d+%\)  loss \d\.\d{4}  ETA \d\d:\d\d:\d\d UTC \(",
                     running[0])
    assert re.search(r"succeeded  180/180 steps \(100%\)  loss \d\.\d{4}  [\d,]+ tokens trained  "
                     r"model ft:gpt-4\.1-mini-2025-04-14:\S+:chunsik:\S+$", lines[-1])
    for line in lines:
        assert "\x1b" not in line and "\r" not in line  # nothing drawn in place in a log


def test_apply_wait_in_a_ci_log_prints_plain_lines_each_once(example: Path) -> None:
    result = run_piped(example, "apply", "--provider", "emulator", "--auto-approve", "--wait")
    assert result.code == 0, result.out + result.err
    assert_plain_progress(job_lines(result.out))
    assert "Apply complete" in result.out
    assert state(example)["models.chunsik"]["model_id"]


def test_wait_in_a_ci_log_prints_plain_lines_then_the_result(example: Path) -> None:
    # A slower emulator than the other tests': at the default speed the job (2.4 s) could end on a
    # loaded machine before `wait` had started, which then has no progress to print.
    slow = "60"  # the example's 600 simulated seconds in 10 s
    started = run_piped(example, "apply", "--provider", "emulator", "--auto-approve",
                        FTOPS_EMULATOR_SPEED=slow)
    assert started.code == 0, started.out + started.err
    assert "Pending: models.chunsik" in started.out
    waited = run_piped(example, "wait", "--provider", "emulator", FTOPS_EMULATOR_SPEED=slow)
    assert waited.code == 0, waited.out + waited.err
    assert_plain_progress(job_lines(waited.out))
    job_id = state(example)["jobs.chunsik"]["job_id"]
    assert f"{job_id}: succeeded (ft:gpt-4.1-mini-2025-04-14:" in waited.out


def test_on_a_terminal_apply_wait_draws_live_bars(example: Path) -> None:
    result = run_on_terminal(example, "apply", "--provider", "emulator", "--auto-approve", "--wait")
    assert result.code == 0, result.out
    screen = result.out
    assert "\x1b[" in screen  # drawn in place: cursor movements and colour
    text = ANSI.sub("", screen)
    assert "━" in text  # the bars
    assert "upload datasets.chunsik-train" in text
    assert re.search(r"jobs\.chunsik running [━╸╺]+ \d+/180 steps loss \d\.\d{4} ETA ", text), text[-3000:]
    assert re.search(r"jobs\.chunsik succeeded ━+ 180/180 steps", text)
    assert "Apply complete: 4 change(s) done" in text
    assert "steps (" not in text  # no plain progress lines on a terminal: the bars say it
    model_id = state(example)["models.chunsik"]["model_id"]
    assert isinstance(model_id, str) and model_id.startswith("ft:gpt-4.1-mini-2025-04-14:")

    table = run_on_terminal(example, "status", "--provider", "emulator")
    assert table.code == 0, table.out
    drawn = ANSI.sub("", table.out)
    for heading in ("job", "id", "status", "progress", "trained tokens", "model", "last event",
                    "model name", "base model", "shutdown date"):
        assert heading in drawn
    assert "│" in drawn and "jobs.chunsik" in drawn and "succeeded" in drawn and "done" in drawn
    assert model_id in drawn and "gpt-4.1-mini-2025-04-14" in drawn and "2027-01-14" in drawn


def test_no_color_or_NO_COLOR_on_a_terminal_gives_plain_lines(example: Path) -> None:
    flagged = run_on_terminal(example, "apply", "--provider", "emulator", "--auto-approve", "--wait",
                              "--no-color")
    assert flagged.code == 0, flagged.out
    lines = job_lines(flagged.out.replace("\r\n", "\n"))
    assert_plain_progress(lines)
    assert "━" not in flagged.out

    plain = run_on_terminal(example, "status", "--provider", "emulator", NO_COLOR="1")
    assert plain.code == 0, plain.out
    text = plain.out.replace("\r\n", "\n")
    assert "\x1b" not in text and "│" not in text
    header, row = text.splitlines()[:2]
    assert header.split()[:4] == ["job", "id", "status", "progress"]
    assert row.startswith("jobs.chunsik ") and "succeeded" in row and "done" in row
    assert header.index("status") == row.index("succeeded")  # aligned columns
    assert "models.chunsik -> ft:gpt-4.1-mini-2025-04-14:" in text


def test_status_shows_a_running_jobs_step_loss_and_eta(example: Path) -> None:
    slow = {"FTOPS_EMULATOR_SPEED": "15"}  # the job runs ~36 s: status can catch it mid-way
    started = run_piped(example, "apply", "--provider", "emulator", "--auto-approve", **slow)
    assert started.code == 0, started.out + started.err
    deadline = time.monotonic() + 60
    job: dict[str, object] = {}
    while time.monotonic() < deadline:
        shown = run_piped(example, "status", "--provider", "emulator", "--json", **slow)
        assert shown.code == 0, shown.err
        job = json.loads(shown.out)["jobs"][0]
        if job["step"] is not None:
            break
        time.sleep(0.5)
    assert job["status"] == "running" and job["total_steps"] == 180, job
    assert isinstance(job["step"], int) and 0 < job["step"] < 180
    assert isinstance(job["train_loss"], float) and isinstance(job["estimated_finish"], int)
    assert str(job["last_event"]).startswith("Step ")
    plain = run_piped(example, "status", "--provider", "emulator", **slow)
    row = plain.out.splitlines()[1]
    progress = r"\d+/180 \(\d+%\) loss \d\.\d{4} ETA in "
    assert re.search(r"jobs\.chunsik\s+ftjob-\S+\s+running\s+" + progress, row), row
