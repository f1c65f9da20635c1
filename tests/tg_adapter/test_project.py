"""The example project on ``provider: {type: together}``, end to end through the CLI (in-process):
with ``--provider emulator`` the embedded emulator is reached through the Together adapter; and
against a served emulator, a lost state is found again by the jobs' derived identity."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from gitops.support import Result, copy_example, copy_openai_example, run_ftops

from ftops.emulator import RunningEmulator

from .conftest import KEY, LLAMA_8B, SPEED

PRICE = "  meta-llama/Meta-Llama-3.1-8B-Instruct-Reference: 0.48\n"


def together_example(root: Path, base_url: str | None = None) -> Path:
    """The repository's example project (on Together), at ``base_url`` when given, with a price."""
    copy_example(root)
    manifest = root / "manifests" / "kakao-friends.yaml"
    yaml = manifest.read_text()
    provider = "type: together" + (f"\n  base_url: {base_url}" if base_url else "")
    yaml, count = re.subn(r"type: together[^\n]*", provider, yaml, count=1)
    assert count == 1 and LLAMA_8B in yaml, "the example's provider or base model moved: update this"
    yaml = yaml.replace("\nbudget:", f"\npricing:\n{PRICE}\nbudget:")
    manifest.write_text(yaml)
    return root


@pytest.fixture
def ftops(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    monkeypatch.setenv("FTOPS_EMULATOR_SPEED", str(SPEED))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("TOGETHER_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    def run(root: Path, *args: str) -> Result:
        return run_ftops(root, *args, monkeypatch=monkeypatch)

    return run


def text(result: Result) -> str:
    return f"{result.out}\n{result.err}"


def test_the_example_on_together_plans_applies_answers_converges_and_is_destroyed(
    tmp_path: Path, ftops: Callable[..., Result]
) -> None:
    root = together_example(tmp_path / "project")

    plan = ftops(root, "plan", "--provider", "emulator", "--detailed-exitcode")
    assert plan.code == 2, text(plan)
    assert "+ jobs.chunsik" in plan.out and "stops accepting new fine-tuning jobs" not in text(plan)
    applied = ftops(root, "apply", "--provider", "emulator", "--auto-approve", "--wait")
    assert applied.code == 0, text(applied)
    model = re.search(r"models\.chunsik: now (\S+), 1 check\(s\) passed", applied.out)
    assert model is not None, applied.out
    named = r"emulator/Meta-Llama-3\.1-8B-Instruct-Reference-chunsik-ftops-[0-9a-f]{12}-[0-9a-f]{8}"
    assert re.fullmatch(named, model.group(1))
    answer = ftops(root, "chat", "--provider", "emulator", "chunsik", "Who is Chunsik?")
    assert answer.code == 0 and "Ryan" in answer.out, text(answer)
    status = ftops(root, "status", "--provider", "emulator")
    assert status.code == 0 and "completed" in status.out and model.group(1) in status.out

    again = ftops(root, "plan", "--provider", "emulator", "--detailed-exitcode")
    assert again.code == 0, text(again)
    # three listings: files, fine-tunes, base models
    assert "No changes." in again.out and "read in 3 API requests" in text(again)

    gone = ftops(root, "destroy", "--provider", "emulator", "--auto-approve")
    assert gone.code == 0, text(gone)
    assert f"deleted model {model.group(1)}" in gone.out
    after = ftops(root, "plan", "--provider", "emulator", "--detailed-exitcode")
    assert after.code == 2 and "+ jobs.chunsik" in after.out  # nothing left to adopt


def test_a_lost_state_is_found_again_by_name_and_suffix_never_uploaded_or_trained_twice(
    tmp_path: Path, emulator: RunningEmulator, ftops: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOGETHER_API_KEY", KEY)
    root = together_example(tmp_path / "project", emulator.together_base_url)
    assert ftops(root, "apply", "--auto-approve", "--wait").code == 0
    state = root / "state" / "ftops.state.json"
    state.unlink()
    emulator.clear_requests()

    plan = ftops(root, "plan", "--detailed-exitcode")
    assert plan.code == 2, text(plan)
    assert "<= datasets.chunsik-train" in plan.out and "<= jobs.chunsik" in plan.out, plan.out
    assert "is already in the account: adopt" in plan.out
    again = ftops(root, "apply", "--auto-approve", "--wait")
    assert again.code == 0, text(again)
    creates = [(r.method, r.path) for r in emulator.requests()
               if r.method == "POST" and r.path in ("/together/v1/files", "/together/v1/fine-tunes")]
    assert creates == []
    assert ftops(root, "plan", "--detailed-exitcode").code == 0
    assert KEY not in state.read_text()


def test_a_job_moves_from_openai_to_a_together_alias_checked_and_priced_as_together(
    tmp_path: Path, ftops: Callable[..., Result]
) -> None:
    """Issue 15's move, rehearsed on the embedded emulators (one per alias): the job on the
    Together alias is validated and priced as Together's, trained through the Together adapter,
    and the name moves once its check passes there."""
    root = copy_openai_example(tmp_path / "project")
    manifest = root / "manifests" / "kakao-friends.yaml"
    yaml = manifest.read_text().replace("\nbackend:", "\nproviders:\n  tg: {type: together}\n\nbackend:", 1)
    manifest.write_text(yaml)
    first = ftops(root, "apply", "--provider", "emulator", "--auto-approve", "--wait")
    assert first.code == 0, text(first)

    moved = yaml.replace("    model: gpt-4.1-mini-2025-04-14", f"    provider: tg\n    model: {LLAMA_8B}")
    moved = re.sub(r"\n    metadata:\n      owner: [^\n]*", "", moved)
    manifest.write_text(moved)
    valid = ftops(root, "validate")
    assert valid.code == 0, text(valid)
    plan = ftops(root, "plan", "--provider", "emulator")
    assert plan.code == 0, text(plan)
    assert "+ jobs.chunsik@tg" in plan.out and "moves openai -> together" in plan.out
    priced = re.search(r"jobs\.chunsik@tg\s+\S+\s+~?\s*[\d,]+ tokens\s+\$(\S+)", plan.out)
    assert priced is not None and priced.group(1) != "unknown", plan.out  # Together's own table
    applied = ftops(root, "apply", "--provider", "emulator", "--auto-approve", "--wait")
    assert applied.code == 0, text(applied)
    assert re.search(r"models\.chunsik: now emulator/Meta-Llama-3\.1-8B-Instruct-Reference-chunsik-ftops-"
                     r"[0-9a-f]{12}-[0-9a-f]{8}, 1 check\(s\) passed", applied.out), applied.out
    again = ftops(root, "plan", "--provider", "emulator", "--detailed-exitcode")
    assert again.code == 0 and "No changes." in again.out, text(again)


def test_the_move_checks_the_new_model_on_together_before_deleting_the_old_one_on_openai(
    tmp_path: Path, emulator: RunningEmulator, ftops: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One served emulator speaks both APIs, so its request log orders the two services' requests."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("TOGETHER_API_KEY", KEY)
    root = copy_openai_example(tmp_path / "project")
    manifest = root / "manifests" / "kakao-friends.yaml"
    openai_block = f"type: openai\n  base_url: {emulator.base_url}"
    yaml = re.sub(r"type: openai[^\n]*", openai_block, manifest.read_text(), count=1)
    yaml = yaml.replace("\nbackend:", f"\nproviders:\n  tg: {{type: together, base_url: "
                                      f"'{emulator.together_base_url}'}}\n\nbackend:", 1)
    yaml = yaml.replace("keep_previous: 1", "keep_previous: 0")
    manifest.write_text(yaml)
    assert ftops(root, "apply", "--auto-approve", "--wait").code == 0
    state = json.loads((root / "state" / "ftops.state.json").read_text())
    old = state["resources"]["models.chunsik"]["model_id"]

    moved = yaml.replace("    model: gpt-4.1-mini-2025-04-14", f"    provider: tg\n    model: {LLAMA_8B}")
    manifest.write_text(re.sub(r"\n    metadata:\n      owner: [^\n]*", "", moved))
    emulator.clear_requests()
    applied = ftops(root, "apply", "--auto-approve", "--wait")
    assert applied.code == 0, text(applied)

    log = [(r.method, r.path, r.status) for r in emulator.requests()]
    check = max(i for i, (method, path, _) in enumerate(log)
                if (method, path) == ("POST", "/together/v1/chat/completions"))
    deleted = [i for i, (method, path, status) in enumerate(log)
               if method == "DELETE" and path.startswith("/v1/models/") and status == 200]
    assert deleted and check < deleted[0], log  # the new model answered before the old one went
    assert old.replace(":", "%3A") in log[deleted[0]][1] or old in log[deleted[0]][1]
    creates = [p for m, p, _ in log if (m, p) == ("POST", "/together/v1/fine-tunes")]
    assert len(creates) == 1
    assert ftops(root, "plan", "--detailed-exitcode").code == 0


def test_a_suffix_longer_than_the_identity_token_leaves_room_for_is_refused_offline(
    tmp_path: Path, ftops: Callable[..., Result]
) -> None:
    root = together_example(tmp_path / "project")
    manifest = root / "manifests" / "kakao-friends.yaml"
    manifest.write_text(manifest.read_text().replace("suffix: chunsik", "suffix: chunsik-the-cat-of-ryan-v2"))
    refused = ftops(root, "validate")
    assert refused.code == 1, text(refused)
    assert re.search(r"kakao-friends\.yaml:\d+:\d+: .*suffix of at most 21 characters, not 26", text(refused))
