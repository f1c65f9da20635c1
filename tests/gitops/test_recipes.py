"""The CI recipes' ftops commands, run in order against a fixture emulator on a copy of the
example project, so the recipes cannot drift from the real CLI.

Each line runs through bash exactly as written (redirections included), with
OPENAI_BASE_URL pointing at the emulator and CI=true, as on a runner. Lines that
need GitHub or GitLab (posting the comment, downloading the artifact) are not
run; they are checked for shell syntax only.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import openai
import pytest

from ftops.emulator import RunningEmulator
from gitops.recipes import Command, commands, github_scripts, gitlab_scripts
from gitops.support import FAKE_KEY, run_shell

RECIPES = {"github": github_scripts, "gitlab": gitlab_scripts}


def find(found: list[Command], *words: str) -> Command:
    matches = [c for c in found if all(w in c.line.split() for w in words)]
    assert len(matches) == 1, (words, found)
    return matches[0]


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_the_recipes_hold_the_whole_flow(recipe: str) -> None:
    found = commands(RECIPES[recipe]())
    lines = [c.line for c in found]
    assert lines[0] == "ftops validate"
    plan = find(found, "plan", "--out")
    assert "--format markdown > plan.md" in plan.line
    assert find(found, "apply").line.startswith("ftops apply ftops.plan")  # the reviewed plan file
    drift = find(found, "--refresh-only")
    assert "--detailed-exitcode" in drift.line.split()
    assert lines.index(plan.line) < lines.index(find(found, "apply").line) < lines.index(drift.line)


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_every_script_is_valid_shell(recipe: str) -> None:
    for where, script in RECIPES[recipe]():
        checked = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True, check=False)
        assert checked.returncode == 0, f"{where}: {checked.stderr}"


def delete_uploaded_files(emu: RunningEmulator) -> None:
    """Someone deletes the project's files by hand: the drift a scheduled check must report."""
    client = openai.OpenAI(api_key=FAKE_KEY, base_url=emu.base_url, max_retries=0)
    for file in client.files.list(purpose="fine-tune"):
        client.files.delete(file.id)


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_the_recipe_commands_run_in_order(recipe: str, example: Path, emulator: RunningEmulator) -> None:
    found = commands(RECIPES[recipe]())
    for command in found:
        result = run_shell(example, command.line)
        assert result.code == 0, f"{command.source}: {command.line}\n{result.out}\n{result.err}"

    # The pull request got a readable plan and a plan file; merging applied exactly it.
    plan_md = (example / "plan.md").read_text()
    assert plan_md.startswith("### ftops plan for `kakao-friends`")
    assert "**Plan: 4 to add, 0 to change, 0 to destroy.**" in plan_md
    assert (example / "ftops.plan").stat().st_size > 0
    models = json.loads((example / "models.json").read_text())
    assert models["chunsik"].startswith("ft:gpt-4.1-mini-2025-04-14:")
    assert "No changes" in (example / "drift.md").read_text()

    # A reviewed plan applies once: the same file again is refused as stale, with one line.
    again = run_shell(example, find(found, "apply").line)
    assert again.code == 1
    assert again.err.startswith("Error: ") and "Traceback" not in again.err

    # The scheduled check turns hand-made changes into exit 2 and a report.
    delete_uploaded_files(emulator)
    drift = find(found, "--refresh-only")
    result = run_shell(example, drift.line)
    assert result.code == 2, result.err
    assert "datasets.chunsik-train" in (example / "drift.md").read_text()
