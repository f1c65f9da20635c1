"""A new user's first hour (issue 17, item 3): the messages and flags a newcomer meets first,
through the CLI, against a real emulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openai.resources.chat.completions import Completions

from ftops.plan.identity import canonical_json, sha256_hex

from .support import FAKE_KEY, REPO, Project, Result, spawn

Run = Callable[..., Result]


def test_chat_sends_a_system_message_before_the_question(
    project: Project, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[Any] = []
    real_create = Completions.create

    def spy(self: Completions, **kwargs: Any) -> Any:
        sent.append(kwargs["messages"])
        return real_create(self, **kwargs)

    monkeypatch.setattr(Completions, "create", spy)
    result = run("chat", "gpt-4o-mini-2024-07-18", "Who is Chunsik?", "--system", "Answer in one sentence.")
    assert result.code == 0, result.text
    assert result.out.strip()
    assert sent == [[{"role": "system", "content": "Answer in one sentence."},
                     {"role": "user", "content": "Who is Chunsik?"}]]


def test_destroy_without_a_terminal_does_not_suggest_a_saved_plan(project: Project, run: Run) -> None:
    assert run("apply", "--auto-approve").code == 0
    result = run("destroy")  # stdin is not a terminal
    assert result.code == 1, result.text
    assert "destroy needs approval" in result.err
    assert "--auto-approve" in result.err
    assert "ftops apply PLAN" not in result.err  # a saved plan cannot destroy
    assert project.our_files()  # nothing was deleted


@pytest.mark.parametrize("command", [("plan",), ("apply", "--auto-approve")])
def test_plan_and_apply_name_a_bad_dataset_line_as_validate_does(
    project: Project, run: Run, command: tuple[str, ...]
) -> None:
    with (project.root / "datasets" / "train.jsonl").open("a") as handle:
        handle.write('{"messages": [{"role": "user", "content": "no answer"}]}\n')
    validated = run("validate", "--no-tokens")
    assert validated.code == 1
    problem = next(line.strip() for line in validated.out.splitlines() if ":13: " in line)
    assert problem.startswith("datasets/train.jsonl:13: ")  # from the project root
    refused = run(*command)
    assert refused.code == 1, refused.text
    assert problem in [line.strip() for line in refused.err.splitlines()], refused.err
    assert "../datasets" not in refused.err
    assert project.our_files() == []


def ftops_in(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENAI_API_KEY": FAKE_KEY, "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    env.pop("CI", None)
    return subprocess.run([sys.executable, "-m", "ftops", *args], cwd=folder, env=env,
                          capture_output=True, text=True, check=False)


@pytest.mark.parametrize("inside", ["manifests", "datasets"])
def test_inside_the_project_ftops_finds_its_root_above(project: Project, inside: str) -> None:
    folder = project.root / inside
    validated = ftops_in(folder, "validate", "--no-tokens")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "Valid: project e2e" in validated.stdout
    planned = ftops_in(folder, "plan")
    assert planned.returncode == 0, planned.stderr
    assert "+ datasets.train" in planned.stdout
    assert ftops_in(folder, "apply", "--auto-approve").returncode == 0
    assert project.state_path.is_file()  # the project's state, not one under the subfolder
    assert not (folder / "state").exists()


def test_outside_any_project_the_hint_names_init(tmp_path: Path) -> None:
    lost = tmp_path / "nowhere"
    lost.mkdir()
    result = ftops_in(lost, "plan")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: manifests: no such manifests folder (use --manifests DIR)",
        "  ftops looks for manifests/ here and in the folders above; `ftops init` starts a project.",
    ]


def test_a_rehearsals_saved_plan_is_refused_for_the_real_provider_and_says_why(
    project: Project, run: Run
) -> None:
    rehearsed = run("plan", "--provider", "emulator", "--out", "rehearsal.plan")
    assert rehearsed.code == 0, rehearsed.text
    refused = run("apply", "rehearsal.plan")
    assert refused.code == 1
    assert refused.err.splitlines()[0] == (
        "Error: saved plan was made for the emulator provider, and this apply is for openai")
    assert "--provider emulator" in refused.err
    assert project.our_files() == []  # nothing of the rehearsal's plan reached the account

    real = run("plan", "--out", "real.plan")
    assert real.code == 0, real.text
    wrong_way = run("apply", "real.plan", "--provider", "emulator")
    assert wrong_way.code == 1
    assert "made for the openai provider, and this apply is for emulator" in wrong_way.err

    # A plan saved before plans recorded their provider is still applied as before.
    document = json.loads((project.root / "real.plan").read_text())
    del document["plan"]["base"]["provider"]
    body = {k: v for k, v in document.items() if k != "checksum"}
    document["checksum"] = "sha256:" + sha256_hex(canonical_json(body))
    (project.root / "real.plan").write_text(json.dumps(document))
    applied = run("apply", "real.plan")
    assert applied.code == 0, applied.text
    assert len(project.our_files()) == 3


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("project", [{"speed": 1.0}], indirect=True)  # jobs train for minutes
def test_ctrl_c_during_a_wait_says_the_jobs_keep_running_and_what_picks_them_up(
    project: Project, run: Run
) -> None:
    assert run("apply", "--auto-approve").code == 0
    project.emulator.clear_requests()
    # Ctrl-C as at a terminal: a suite started in the background (``cmd &`` in a script) passes
    # SIGINT down ignored, and Python then installs no KeyboardInterrupt for it.
    waiting = spawn(project, "wait", preexec_fn=_interruptible)
    polls = 0
    for _ in range(600):  # until the wait polls the jobs' events (bounded: never hang the suite)
        polls = sum(r.path.endswith("/events") for r in project.emulator.requests())
        if polls or waiting.poll() is not None:
            break
        time.sleep(0.1)
    assert polls, "the wait never polled"
    waiting.send_signal(signal.SIGINT)
    out, err = waiting.communicate()
    assert waiting.returncode == 130, out + err
    assert err.splitlines()[-2:] == [
        "Interrupted: stopped waiting for 2 job(s); they keep running in the account.",
        "  Run `ftops wait` to pick them up, then `ftops apply` to promote their models "
        "(or `ftops apply --wait` for both).",
    ], err
    assert "Traceback" not in err
    assert {job.status for job in project.our_jobs()} <= {"validating_files", "queued", "running"}
    assert run("plan").code == 0  # the wait held no lock: the next command runs at once
