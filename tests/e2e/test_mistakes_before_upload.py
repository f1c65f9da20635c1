"""Issue 17: mistakes that used to be found only after an upload (and the deletion of the file it
replaced) are refused by plan and apply before any request that changes the account."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from .support import FAKE_KEY, REPO, Project, Result, chat_examples

Run = Callable[..., Result]

UPLOADS = ("POST /v1/files", "POST /v1/uploads")


def uploads(project: Project) -> list[str]:
    return [r for r in project.mutating() if r.startswith(UPLOADS)]


def use_model(project: Project, model: str) -> None:
    text = (project.root / "manifests" / "project.yaml").read_text()
    (project.root / "manifests" / "project.yaml").write_text(
        text.replace("model: gpt-4o-mini-2024-07-18", f"model: {model}", 1))


@pytest.mark.parametrize("command", [("plan",), ("apply", "--auto-approve")])
def test_a_misspelled_base_model_is_refused_at_plan_time_with_nothing_uploaded(
    project: Project, run: Run, command: tuple[str, ...]
) -> None:
    # The project talks to the emulator through base_url: offline, ftops cannot be sure what such
    # a service trains, so the refusal comes from the plan, which read the models listing.
    use_model(project, "gpt-4.1-mnii")
    assert run("validate").code == 0
    result = run(*command)
    assert result.code == 1, result.text
    assert "Error: 1 job would train on a base model that cannot be fine-tuned here; nothing was uploaded" \
        in result.err
    assert ("manifests/project.yaml:16:3: jobs.a.model: the account lists no model 'gpt-4.1-mnii'; "
            "did you mean 'gpt-4.1-mini-2025-04-14'") in result.err
    assert "Traceback" not in result.text
    assert project.mutating() == []
    assert project.emulator.requests(), "the plan did read the account"
    assert not project.our_files()


def test_a_model_that_cannot_be_fine_tuned_is_refused_before_any_request(project: Project, run: Run) -> None:
    use_model(project, "gpt-5-mini")  # listed by the emulator, as by OpenAI, but chat-only
    for command in (("validate",), ("plan",), ("apply", "--auto-approve")):
        result = run(*command)
        assert result.code == 1, result.text
        assert "jobs.a.model: 'gpt-5-mini' cannot be fine-tuned; the closest that can: " \
            "'gpt-4o-mini-2024-07-18'" in result.text
    assert project.emulator.requests() == []


def test_a_lone_surrogate_is_refused_offline_so_the_previous_file_survives(
    project: Project, run: Run
) -> None:
    assert run("apply", "--auto-approve").code == 0
    files_before = {f.id for f in project.our_files()}
    project.emulator.clear_requests()
    bad = chat_examples("training")
    bad[4]["messages"][1]["content"] = "\ud800"
    project.write_dataset("train", bad)  # json.dumps writes it as the escape \ud800
    assert "\\ud800" in (project.root / "datasets" / "train.jsonl").read_text()
    for command in (("validate",), ("apply", "--auto-approve")):
        result = run(*command)
        assert result.code == 1, result.text
        assert "datasets/train.jsonl:5: messages[1].content: the string holds a lone surrogate escape " \
            "(\\ud800)" in result.text
        assert "Traceback" not in result.text
    assert uploads(project) == [] and project.mutating() == []
    assert {f.id for f in project.our_files()} == files_before


# A real process, as a user runs it (under pytest, log records go to pytest's capture instead):
# the embedded emulator's models listing fails once with a bug of its own, a 500; the retry succeeds.
_FLAKY_EMULATOR = """
import sys
from ftops.emulator.routes import models
real, failed = models._base_object, []
def flaky(*args):
    if not failed:
        failed.append(True)
        raise RuntimeError("a bug in the emulator")
    return real(*args)
models._base_object = flaky
from ftops.cli import main
sys.argv = ["ftops", *sys.argv[1:]]
main()
"""


def run_with_a_flaky_emulator(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENAI_API_KEY": FAKE_KEY, "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    env.pop("CI", None)
    return subprocess.run([sys.executable, "-c", _FLAKY_EMULATOR, *args, "--provider", "emulator"],
                          cwd=project.root, env=env, capture_output=True, text=True, timeout=300)


def test_a_service_error_prints_no_traceback_without_verbose(project: Project) -> None:
    result = run_with_a_flaky_emulator(project, "plan")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "a bug in the emulator; run with -v for the traceback" in result.stderr


def test_with_verbose_the_service_s_traceback_is_shown(project: Project) -> None:
    result = run_with_a_flaky_emulator(project, "-v", "plan")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" in result.stderr and "RuntimeError: a bug in the emulator" in result.stderr
