"""``ftops status`` rendering: the same facts as aligned plain lines and as rich tables."""

from __future__ import annotations

import io

from ftops.apply.status import JobStatus, ModelStatus
from ftops.render.status import progress_text, status_lines, status_tables

NOW = 1_000_000.0
RUNNING = JobStatus(address="jobs.a", job_id="ftjob-aaa", status="running", trained_tokens=None, model=None,
                    last_event="Step 36/180: training loss=1.2684", error=None, step=36, total_steps=180,
                    train_loss=1.2684, estimated_finish=int(NOW) + 72)
DONE = JobStatus(address="jobs.bb", job_id="ftjob-bbbbbb", status="succeeded", trained_tokens=10_140,
                 model="ft:gpt-4o-mini:org:bb:1", last_event=None, error=None)
FAILED = JobStatus(address="jobs.c", job_id="ftjob-c", status="failed", trained_tokens=None, model=None,
                   last_event=None, error="invalid_training_file: [line 3] bad")
MODEL = ModelStatus(name="bb", model_id="ft:gpt-4o-mini:org:bb:1", base_model="gpt-4o-mini-2024-07-18",
                    shutdown_date="2027-01-14")


def test_progress_says_where_a_running_job_is_and_done_when_done() -> None:
    assert progress_text(RUNNING, NOW) == "36/180 (20%) loss 1.2684 ETA in 1m 12s"
    assert progress_text(DONE, NOW) == "done"
    assert progress_text(FAILED, NOW) == "-"


def test_plain_lines_are_aligned_columns_then_model_names() -> None:
    lines = status_lines([RUNNING, DONE, FAILED], [MODEL], NOW)
    header, *rows, model = lines
    assert header.split()[:4] == ["job", "id", "status", "progress"]
    assert header.index("status") == rows[0].index("running") == rows[1].index("succeeded")
    assert header.index("trained tokens") == rows[1].index("10,140")
    assert rows[2].endswith("invalid_training_file: [line 3] bad")
    assert model == ("models.bb -> ft:gpt-4o-mini:org:bb:1 (base gpt-4o-mini-2024-07-18), "
                     "shuts down 2027-01-14")


def test_tables_hold_every_column_and_keep_brackets_as_text() -> None:
    from rich.console import Console

    screen = io.StringIO()
    console = Console(file=screen, width=250, color_system=None)
    for table in status_tables([RUNNING, DONE, FAILED], [MODEL], NOW):
        console.print(table)
    drawn = screen.getvalue()
    assert "Jobs" in drawn and "Model names" in drawn
    assert "36/180 (20%) loss 1.2684 ETA in 1m 12s" in drawn
    assert "[line 3]" in drawn  # an error's brackets are not taken for rich markup
    assert "gpt-4o-mini-2024-07-18" in drawn and "2027-01-14" in drawn and "10,140" in drawn


def test_a_model_ftops_did_not_create_is_said_so_in_text_and_json() -> None:
    from dataclasses import replace

    from ftops.render.status import model_line

    pinned = replace(MODEL, origin="pinned")
    assert model_line(pinned).endswith(", shuts down 2027-01-14 [pinned: not created by ftops]")
    assert pinned.to_json()["origin"] == "pinned"
    assert "not created by ftops" not in model_line(replace(MODEL, origin="ftops"))
