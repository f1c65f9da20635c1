"""``ftops validate`` checks eval files offline, with their lines, and warns about trained-on cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ftops.cli import app

MANIFEST = """\
project: p
datasets:
  train: {file: ../datasets/train.jsonl}
evals:
  facts: {file: ../evals/facts.jsonl, samples: 2}
"""
TRAIN = {"messages": [{"role": "user", "content": "Who is Chunsik?"},
                      {"role": "assistant", "content": "Ryan's cat."}]}


def _project(tmp_path: Path, eval_lines: list[str]) -> None:
    (tmp_path / "manifests").mkdir()
    (tmp_path / "datasets").mkdir()
    (tmp_path / "evals").mkdir()
    (tmp_path / "manifests" / "main.yaml").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / "datasets" / "train.jsonl").write_text((json.dumps(TRAIN) + "\n") * 10, encoding="utf-8")
    text = "".join(line + "\n" for line in eval_lines)
    (tmp_path / "evals" / "facts.jsonl").write_text(text, encoding="utf-8")


def test_a_malformed_eval_file_is_caught_with_its_line(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    good = json.dumps({"messages": [{"role": "user", "content": "Who is Ryan?"}], "contains": "lion"})
    _project(tmp_path, [good, '{"messages": [{"role": "user", "content": "x"}], "contains": 3}'])
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["validate", "--no-tokens"])
    assert result.exit_code == 1
    assert "evals/facts.jsonl:2: contains: must be a string or a non-empty list of strings" in result.stdout


def test_a_case_in_a_training_file_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trained = json.dumps({"messages": [{"role": "user", "content": "Who is Chunsik?"}], "contains": "Ryan"})
    fresh = json.dumps({"messages": [{"role": "user", "content": "Who is Apeach?"}], "contains": "peach"})
    _project(tmp_path, [fresh, trained])
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["validate", "--no-tokens"])
    assert result.exit_code == 0, result.output
    assert "evals/facts.jsonl:2: warning: messages: this case is also in the training file train.jsonl" \
        in result.stdout


def test_a_missing_eval_file_is_a_manifest_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(tmp_path, [])
    (tmp_path / "evals" / "facts.jsonl").unlink()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["validate", "--no-tokens"])
    assert result.exit_code == 1
    assert "manifests/main.yaml:5:" in result.stdout and "does not exist" in result.stdout
