"""``apply`` reuses the verdict ``ftops eval`` reached for exactly the same judgement, and judges
again when anything it depends on changed. The emulator's request log is the witness."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .support import Project, Result

Run = Callable[..., Result]
CASES = 40
CHAT = "POST /v1/chat/completions"

GATED = """\
evals:
  facts:
    file: ../evals/facts.jsonl
models:
  alpha:
    job: a
    gate: {evals: [facts], no_worse_than: recording, margin: 0.1}
  beta:
    job: b
    protect: true
"""


def _answers(reply: Callable[[int], str]) -> list[dict[str, Any]]:
    return [{"messages": [{"role": "user", "content": f"Tell me fact {i} about training."},
                          {"role": "assistant", "content": reply(i)}]} for i in range(CASES)]


def _cases(**expect: Any) -> str:
    return "".join(json.dumps({"id": f"fact-{i}", **expect, "messages": [
        {"role": "user", "content": f"Tell me fact {i} about training."}]}) + "\n" for i in range(CASES))


def _chats(project: Project) -> int:
    return sum(1 for r in project.emulator.requests() if f"{r.method} {r.path}" == CHAT)


def _successor_pending(project: Project, run: Run, margin: str = "0.1") -> tuple[str, str]:
    """The name's first model, recorded; then a successor that answers alike in other words, trained
    and not yet promoted. Returns (the name's model, the candidate)."""
    project.write_dataset("train", _answers(lambda i: f"Fact {i}: Chunsik is Ryan's cat."))
    manifest = project.root / "manifests" / "project.yaml"
    text = manifest.read_text()
    manifest.write_text(text[: text.index("models:")] + GATED.replace("margin: 0.1", f"margin: {margin}"))
    (project.root / "evals").mkdir(exist_ok=True)
    (project.root / "evals" / "facts.jsonl").write_text(_cases(contains="Ryan"))
    assert run("apply", "--auto-approve", "--wait").code == 0
    current = run("output", "alpha").out.strip()
    assert run("record", "alpha").code == 0
    project.write_dataset("train", _answers(lambda i: f"Fact number {i}: Chunsik is Ryan's cat."))
    assert run("apply", "--auto-approve", "--target", "jobs.a").code == 0
    assert run("wait").code == 0
    candidate = project.state()["resources"]["jobs.a"]["fine_tuned_model"]
    assert candidate != current
    return current, candidate


def test_apply_reuses_the_verdict_of_ftops_eval(project: Project, run: Run) -> None:
    _, candidate = _successor_pending(project, run)
    judged = run("eval", "alpha", "--format", "json")
    assert judged.code == 0, judged.text
    assert json.loads(judged.out)["verdict"] == "PASS"
    decided = json.loads(next(project.root.rglob("verdicts/alpha.jsonl")).read_text().splitlines()[-1])

    project.emulator.clear_requests()
    promoted = run("apply", "--auto-approve", "--wait")
    assert promoted.code == 0, promoted.text
    assert "models.alpha: gate PASS: evals.facts 1.000 -> 1.000" in promoted.out
    assert f"(verdict from ftops eval at {decided['decided_at']})" in promoted.out
    assert "Evaluating models.alpha" not in promoted.text
    assert _chats(project) == 0  # not one answer or grade asked for the gate
    assert run("output", "alpha").out.strip() == candidate
    verdict = project.state()["resources"]["models.alpha"]["gate"]
    assert verdict["evaluated_by"] == "ftops eval" and verdict["evaluated_at"] == decided["decided_at"]
    assert verdict["candidate"] == candidate and verdict["verdict"] == "PASS"


def test_a_changed_eval_file_or_grader_is_judged_again(project: Project, run: Run) -> None:
    current, _ = _successor_pending(project, run)
    assert json.loads(run("eval", "alpha", "--format", "json").out)["verdict"] == "PASS"
    # Between eval and apply, every case comes to refuse the candidate's wording: the PASS kept by
    # ftops eval is for other cases, so apply judges again, and refuses.
    evals = project.root / "evals" / "facts.jsonl"
    evals.write_text(_cases(contains="Ryan", not_contains="number"))
    refused = run("apply", "--auto-approve", "--wait")
    assert refused.code == 1, refused.text
    assert "Evaluating models.alpha" in refused.out and "verdict from ftops eval" not in refused.text
    assert "the gate says FAIL" in refused.err and run("output", "alpha").out.strip() == current

    # ftops eval of these cases reaches FAIL too; apply reuses it, asking nothing.
    assert json.loads(run("eval", "alpha", "--format", "json").out)["verdict"] == "FAIL"
    project.emulator.clear_requests()
    reused = run("apply", "--auto-approve", "--wait")
    assert reused.code == 1 and "the gate says FAIL" in reused.err
    assert "verdict from ftops eval at " in reused.err and _chats(project) == 0

    # Another grader prompt is another judgement, even for cases without a rubric.
    manifest = project.root / "manifests" / "project.yaml"
    manifest.write_text(manifest.read_text().replace(
        "file: ../evals/facts.jsonl", "file: ../evals/facts.jsonl\n    grader: {model: gpt-4.1-2025-04-14}"))
    again = run("apply", "--auto-approve", "--wait")
    assert again.code == 1 and "Evaluating models.alpha" in again.out
    assert "verdict from ftops eval" not in again.text


def test_a_reused_inconclusive_verdict_still_needs_the_flag(project: Project, run: Run) -> None:
    current, candidate = _successor_pending(project, run, margin="0.01")  # too small for 40 cases
    judged = run("eval", "alpha", "--format", "json")
    assert json.loads(judged.out)["verdict"] == "INCONCLUSIVE"

    project.emulator.clear_requests()
    refused = run("apply", "--auto-approve", "--wait")
    assert refused.code == 1
    assert "the gate says INCONCLUSIVE" in refused.err and "verdict from ftops eval at " in refused.err
    assert run("output", "alpha").out.strip() == current

    accepted = run("apply", "--auto-approve", "--wait", "--accept-inconclusive", "alpha")
    assert accepted.code == 0, accepted.text
    assert "models.alpha: gate INCONCLUSIVE (accepted)" in accepted.out
    assert _chats(project) == 0
    verdict = project.state()["resources"]["models.alpha"]["gate"]
    assert verdict["accepted_by"] and verdict["evaluated_by"] == "ftops eval"
    assert run("output", "alpha").out.strip() == candidate
    status = run("status").out
    assert f"gate INCONCLUSIVE on {verdict['decided_at']} (verdict from ftops eval at " \
        f"{verdict['evaluated_at']}), accepted by {verdict['accepted_by']} at " \
        f"{verdict['accepted_at']}" in status
