"""`ftops init` on a folder that has manifests: checks the backend and migrates the state."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def ftops(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ftops", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def make_project(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "manifests", tmp_path / "manifests", ignore=shutil.ignore_patterns("*.json"))
    shutil.copytree(REPO / "datasets", tmp_path / "datasets")
    shutil.copytree(REPO / "evals", tmp_path / "evals")
    return tmp_path


def write_local_state(path: Path, serial: int) -> str:
    lineage = "0b7b9a8e-52a4-4f9e-9a38-5f0c1d2e3f40"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "format_version": 1,
                "ftops_version": "0.1.0",
                "lineage": lineage,
                "project": "kakao-friends",
                "serial": serial,
                "resources": {},
            }
        )
    )
    return lineage


def set_backend_path(project: Path, state_path: str) -> None:
    manifest = project / "manifests" / "kakao-friends.yaml"
    text = manifest.read_text()
    assert "path: state/ftops.state.json" in text
    manifest.write_text(text.replace("path: state/ftops.state.json", f"path: {state_path}"))


def test_init_in_a_project_adds_no_starter_and_checks_the_backend(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    result = ftops(project, "init")
    assert result.returncode == 0, result.stderr
    assert not (project / "manifests" / "main.yaml").exists()
    assert not (project / "datasets" / "train.jsonl").exists()
    assert "reachable, no state yet" in result.stdout


def test_init_refuses_a_moved_backend_until_migrate_state(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    lineage = write_local_state(project / "state" / "ftops.state.json", serial=7)
    assert ftops(project, "init").returncode == 0  # records the backend the state is in

    set_backend_path(project, "state/moved/ftops.state.json")
    refused = ftops(project, "init")
    assert refused.returncode == 1
    assert "--migrate-state" in refused.stderr
    assert not (project / "state" / "moved" / "ftops.state.json").exists()

    migrated = ftops(project, "init", "--migrate-state")
    assert migrated.returncode == 0, migrated.stderr
    copied = json.loads((project / "state" / "moved" / "ftops.state.json").read_text())
    assert (copied["lineage"], copied["serial"]) == (lineage, 7)


def test_init_migrate_refuses_a_target_of_another_lineage(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    write_local_state(project / "state" / "ftops.state.json", serial=3)
    assert ftops(project, "init").returncode == 0
    other = project / "state" / "moved" / "ftops.state.json"
    other.parent.mkdir(parents=True)
    other.write_text(
        json.dumps(
            {
                "format_version": 1,
                "ftops_version": "0.1.0",
                "lineage": "11111111-2222-4333-8444-555555555555",
                "project": "kakao-friends",
                "serial": 1,
                "resources": {},
            }
        )
    )
    set_backend_path(project, "state/moved/ftops.state.json")
    refused = ftops(project, "init", "--migrate-state")
    assert refused.returncode == 1
    assert "lineage" in refused.stderr
    assert json.loads(other.read_text())["lineage"] == "11111111-2222-4333-8444-555555555555"
