"""Renderer golden tests: the text, Markdown and JSON views of typical plans, compared with
files under golden/ (regenerate with FTOPS_UPDATE_GOLDEN=1 and review the diff)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import replace as dc_replace
from datetime import date
from pathlib import Path

import pytest
from plan_builders import BASE, World, desired, job, model, project

from ftops.plan.model import Plan
from ftops.plan.observed import JobError, ObservedModel
from ftops.render import render_json, render_markdown, render_text

GOLDEN = Path(__file__).parent / "golden"


def _from_nothing() -> Plan:
    return World(desired(project(datasets=("train", "valid"), jobs=[job("tune", "train", "valid")]))).plan()


def _retrain() -> Plan:
    world = World(desired()).converge()
    return world.plan(desired(project(jobs=[job("tune", n_epochs=4)]), contents={"train": "v2"}))


def _no_changes() -> Plan:
    return World(desired()).converge().plan()


def _in_progress_and_failed() -> Plan:
    proj = project(jobs=[job("tune"), job("other")], models=[model("bot", "tune"), model("aux", "other")])
    world = World(desired(proj))
    world.upload("train")
    world.train("tune", status="running")
    world.train("other", status="failed", error="bad")
    world.models[BASE] = ObservedModel(BASE, "system", 1, shutdown_date="2027-01-14")
    return world.plan(today=date(2026, 11, 24))


def _lost_state() -> Plan:
    world = World(desired()).converge()
    world.resources.clear()
    return world.plan()


def _destroy_with_protected() -> Plan:
    proj = project(
        jobs=[job("tune"), job("side")], models=[model("bot", "tune", protect=True), model("aux", "side")]
    )
    return World(desired(proj)).converge().plan(destroy=True)


def _refresh_only_drift() -> Plan:
    world = World(desired()).converge()
    for file_id in list(world.files):
        del world.files[file_id]
    return world.plan(refresh_only=True)


PLANS: dict[str, Callable[[], Plan]] = {
    "from_nothing": _from_nothing,
    "retrain": _retrain,
    "no_changes": _no_changes,
    "in_progress_and_failed": _in_progress_and_failed,
    "lost_state": _lost_state,
    "destroy_with_protected": _destroy_with_protected,
    "refresh_only_drift": _refresh_only_drift,
}
VIEWS: dict[str, Callable[[Plan], str]] = {
    "txt": lambda plan: render_text(plan, color=False),
    "md": render_markdown,
    "json": lambda plan: json.dumps(render_json(plan), indent=2, sort_keys=True, ensure_ascii=False) + "\n",
}


@pytest.mark.parametrize("view", sorted(VIEWS))
@pytest.mark.parametrize("name", sorted(PLANS))
def test_golden(name: str, view: str) -> None:
    rendered = VIEWS[view](PLANS[name]())
    path = GOLDEN / f"{name}.{view}"
    if os.environ.get("FTOPS_UPDATE_GOLDEN"):
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


def test_summary_lines() -> None:
    assert render_text(_from_nothing()).endswith("Plan: 4 to add, 0 to change, 0 to destroy.\n")
    assert render_text(_retrain()).endswith("Plan: 2 to add, 1 to change, 2 to destroy.\n")
    assert render_text(_no_changes()).endswith("No changes. The account matches the manifests.\n")
    assert render_text(_lost_state()).endswith("Plan: 1 to add, 0 to change, 0 to destroy, 2 to adopt.\n")


def test_color_only_when_asked() -> None:
    plan = _retrain()
    assert "\x1b[" not in render_text(plan, color=False)
    colored = render_text(plan, color=True)
    assert "\x1b[35m-/+\x1b[0m datasets.train" in colored and "\x1b[31m  -\x1b[0m" in colored


def test_json_view_is_versioned_and_lists_every_change_with_its_fields() -> None:
    data = render_json(_retrain())
    assert data["format_version"] == 1
    job_change = next(c for c in data["changes"] if c["address"] == "jobs.tune")
    assert set(job_change) >= {"address", "action", "reason", "before", "after"}
    assert job_change["action"] == "replace"
    assert {"path": "method.supervised.hyperparameters.n_epochs", "before": 3, "after": 4} in job_change[
        "fields"
    ]
    assert data["summary"]["has_changes"] is True
    assert data["costs"] == [{"address": "jobs.tune", "model": BASE, "training_tokens": 30000, "usd": 1.5,
                             "tokens_estimated": False}]


def test_markdown_keeps_reasons_inside_their_cells() -> None:
    want = desired(project(jobs=[job("tune")]))
    plan = World(want).plan()
    md = render_markdown(plan)
    assert md.count("```") == 2
    table = [line for line in md.splitlines() if line.startswith("| `")]
    assert all(line.count(" | ") == 3 for line in table)


def test_service_text_cannot_break_lines_or_repaint_the_terminal() -> None:
    world = World(desired())
    world.upload("train")
    job_id = world.train("tune", status="failed", error="bad")
    hostile = "line one\nline two \x1b[2J\x1b[31mred | pipe"
    world.jobs[job_id] = dc_replace(world.jobs[job_id], error=JobError("x", hostile))
    plan = world.plan()
    text = render_text(plan)
    assert "\x1b" not in text and "line one line two" in text
    assert all(line.count("line one") <= 1 for line in text.splitlines())
    md = render_markdown(plan)
    assert "\x1b" not in md and "red \\| pipe" in md
