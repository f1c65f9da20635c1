"""Together's training curves through the CLI on the example project (issue 15, item 2): ``apply
--wait`` and ``status`` show step and loss while the job trains, ``metrics`` charts the loss and
writes it as CSV, and with ``n_evals`` judges overfitting from the validation points."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from gitops.support import Result

from .test_project import ftops, text, together_example

__all__ = ["ftops"]  # the fixture, shared with the example's other tests


def test_status_and_wait_show_the_loss_and_metrics_charts_it_as_csv(
    tmp_path: Path, ftops: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = together_example(tmp_path / "project")
    monkeypatch.setenv("FTOPS_EMULATOR_SPEED", "30")  # slow enough to be seen training
    started = ftops(root, "apply", "--provider", "emulator", "--auto-approve")
    assert started.code == 0, text(started)
    seen: list[str] = []
    while "completed" not in (seen or [""])[-1]:
        status = ftops(root, "status", "--provider", "emulator")
        assert status.code == 0, text(status)
        seen.append(status.out)
    training = [out for out in seen if "running" in out and " loss 0." in out]
    assert training, "status never showed the loss of a training job:\n" + "\n".join(seen)
    waited = ftops(root, "apply", "--provider", "emulator", "--auto-approve", "--wait")
    assert waited.code == 0, text(waited)

    table = tmp_path / "curve.csv"
    shown = ftops(root, "metrics", "jobs.chunsik", "--provider", "emulator", "--csv", str(table))
    assert shown.code == 0, text(shown)
    assert "no loss values" not in shown.out and "training loss" in shown.out
    rows = list(csv.DictReader(table.open()))
    losses = [float(r["train_loss"]) for r in rows if r.get("train_loss")]
    assert len(losses) >= 3 and losses[-1] < losses[0]
    # The example evaluates nothing (Together's n_evals defaults to 0): the verdict says what to set.
    assert "n_evals" in shown.out


def test_with_n_evals_the_validation_points_judge_overfitting(
    tmp_path: Path, ftops: Callable[..., Result]
) -> None:
    root = together_example(tmp_path / "project")
    manifest = root / "manifests" / "kakao-friends.yaml"
    yaml = manifest.read_text()
    assert "        n_epochs: 3\n" in yaml, "the example's hyperparameters moved: update this"
    manifest.write_text(yaml.replace("        n_epochs: 3\n",
                                     "        n_epochs: 3\n        batch_size: 8\n        n_evals: 10\n"))
    applied = ftops(root, "apply", "--provider", "emulator", "--auto-approve", "--wait")
    assert applied.code == 0, text(applied)

    shown = ftops(root, "metrics", "jobs.chunsik", "--provider", "emulator", "--json")
    assert shown.code == 0, text(shown)
    report = json.loads(shown.out)
    evaluated = [row for row in report["steps"] if row["valid_loss"] is not None]
    assert len(evaluated) == 10 and all(row["train_loss"] is not None for row in evaluated)
    verdict = report["summary"]["overfitting"]
    assert verdict["judged"] is True and verdict["best_step"] is not None, verdict
