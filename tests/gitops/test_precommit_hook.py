"""``.pre-commit-hooks.yaml``: a well-formed hook whose entry is the real ``ftops validate``,
run the way pre-commit runs it (entry + args, no file names, from the repository root)."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops.support import REPO, run_shell

HOOKS = REPO / ".pre-commit-hooks.yaml"
# The keys pre-commit knows for a hook definition (its MANIFEST_HOOK_DICT).
KNOWN_KEYS = {
    "id", "name", "entry", "language", "alias", "files", "exclude", "types", "types_or",
    "exclude_types", "additional_dependencies", "args", "always_run", "fail_fast", "pass_filenames",
    "description", "language_version", "log_file", "minimum_pre_commit_version", "require_serial",
    "stages", "verbose",
}


def hook() -> dict[str, Any]:
    hooks = yaml.safe_load(HOOKS.read_text())
    assert isinstance(hooks, list) and len(hooks) == 1
    (only,) = hooks
    assert isinstance(only, dict)
    return only


def test_the_hook_is_well_formed() -> None:
    the_hook = hook()
    assert set(the_hook) <= KNOWN_KEYS
    assert the_hook["id"] == "ftops-validate"
    assert the_hook["language"] == "python"  # pre-commit pip-installs this repository
    assert the_hook["pass_filenames"] is False  # validate reads the whole manifests folder


def test_the_entry_is_a_console_script_of_this_package() -> None:
    program = shlex.split(hook()["entry"])[0]
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert program in scripts


@pytest.mark.parametrize(
    ("path", "runs"),
    [
        ("manifests/kakao-friends.yaml", True),
        ("manifests/more/other.yml", True),
        ("datasets/chunsik-train.jsonl", True),
        ("README.md", False),
        ("ftops/manifest/manifest.schema.json", False),
        ("docs/manifests/x.yaml", False),
    ],
)
def test_the_files_pattern(path: str, runs: bool) -> None:
    assert bool(re.search(hook()["files"], path)) is runs


def test_the_hook_passes_on_the_example_and_fails_on_a_broken_manifest(example: Path) -> None:
    the_hook = hook()
    command = " ".join([the_hook["entry"], *map(shlex.quote, the_hook.get("args", []))])
    ok = run_shell(example, command)
    assert ok.code == 0, ok.err
    assert "Valid: project kakao-friends" in ok.out

    manifest = example / "manifests" / "kakao-friends.yaml"
    manifest.write_text(manifest.read_text().replace("training_file: chunsik-train",
                                                     "training_file: chunsik-trian"))
    broken = run_shell(example, command)
    assert broken.code == 1
    assert "manifests/kakao-friends.yaml:33:20: jobs.chunsik.training_file: no dataset named " \
        "'chunsik-trian'" in broken.out
    assert "Invalid: 1 error(s)" in broken.err
