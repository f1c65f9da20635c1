"""The CI recipes' ftops commands, run in order against a fixture emulator on a copy of the
example project, so the recipes cannot drift from the real CLI.

Each line runs through bash exactly as written (redirections included), with
OPENAI_BASE_URL pointing at the emulator and CI=true, as on a runner. Lines that
need GitHub or GitLab (posting the comment, downloading the artifact) are not
run; they are checked for shell syntax only.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from together import Together

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
    """Someone deletes the project's files by hand (with Together's SDK: the example trains
    there): the drift a scheduled check must report."""
    client = Together(api_key=FAKE_KEY, base_url=emu.together_base_url, max_retries=0)
    for file in client.files.list().data:
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
    assert "/Meta-Llama-3.1-8B-Instruct-Reference-chunsik-" in models["chunsik"]  # a Together fine-tune
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


def test_the_gitlab_note_script_posts_the_plan(tmp_path: Path) -> None:
    """The one non-ftops script that can run here: it posts plan.md to a stand-in GitLab API."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received: list[tuple[str, str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append((self.path, self.headers["PRIVATE-TOKEN"], self.rfile.read(length)))
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        (script,) = [s for where, s in gitlab_scripts() if "GITLAB_NOTE_TOKEN" in s]
        (tmp_path / "plan.md").write_text("### ftops plan for `x`\n\n**No changes.** ✓\n", encoding="utf-8")
        env = {**os.environ, "CI_API_V4_URL": f"http://127.0.0.1:{server.server_port}/api/v4",
               "CI_PROJECT_ID": "42", "CI_MERGE_REQUEST_IID": "7", "GITLAB_NOTE_TOKEN": "glpat-test"}
        done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=60, check=False)
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr
    ((path, token, body),) = received
    assert path == "/api/v4/projects/42/merge_requests/7/notes" and token == "glpat-test"
    assert json.loads(body) == {"body": (tmp_path / "plan.md").read_text(encoding="utf-8")}
