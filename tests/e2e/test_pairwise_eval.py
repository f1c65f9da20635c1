"""A pairwise rubric through ``ftops eval``: the grader compares the candidate's answer with the
recorded one in both orders, two requests per case the first time and none on a re-run.

The grader is a model the emulator fine-tuned on grading examples (it answers with the reply of the
closest one), served over HTTP to the real openai SDK like every other model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .support import Project, Result

Run = Callable[..., Result]
CASES = 40
CHAT = "POST /v1/chat/completions"
CRITERIA = "Says whose cat Chunsik is."

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


def _grading(first: str, second: str, verdict: str) -> dict[str, Any]:
    prompt = (f"Question:\nTell me fact 0 about training.\n\nCriteria:\n{CRITERIA}\n\n"
              f"Answer A:\n{first}\n\nAnswer B:\n{second}")
    return {"messages": [{"role": "system", "content": "Compare."}, {"role": "user", "content": prompt},
                         {"role": "assistant", "content": verdict}]}


def _cases(rubric: Any) -> str:
    asked = [[{"role": "user", "content": f"Tell me fact {i} about training."}] for i in range(CASES)]
    return "".join(json.dumps({"id": f"fact-{i}", "rubric": rubric, "messages": asked[i]}) + "\n"
                   for i in range(CASES))


def _chats(project: Project) -> int:
    return sum(1 for r in project.emulator.requests() if f"{r.method} {r.path}" == CHAT)


def test_a_pairwise_rubric_asks_the_grader_in_both_orders_once(project: Project, run: Run) -> None:
    project.write_dataset("train", _answers(lambda i: f"Fact {i}: Chunsik is Ryan's cat."))
    # jobs.b's model (models.beta) learns to compare: two answers naming Ryan tie.
    project.write_dataset("extra", [
        _grading("Fact 0: Chunsik is Ryan's cat.", "Fact number 0: Chunsik is Ryan's cat.", "TIE"),
        _grading("Fact 0: I would rather not say.", "Fact 0: Chunsik is Ryan's cat.", "B"),
    ] * 5)
    manifest = project.root / "manifests" / "project.yaml"
    text = manifest.read_text()
    manifest.write_text(text[: text.index("models:")] + GATED)
    (project.root / "evals").mkdir(exist_ok=True)
    evals = project.root / "evals" / "facts.jsonl"
    evals.write_text("".join(json.dumps({"id": f"fact-{i}", "contains": "Ryan", "messages": [
        {"role": "user", "content": f"Tell me fact {i} about training."}]}) + "\n" for i in range(CASES)))
    assert run("apply", "--auto-approve", "--wait").code == 0
    grader = run("output", "beta").out.strip()
    assert run("record", "alpha").code == 0

    # The successor says the same in other words; the grader compares it with the recording.
    project.write_dataset("train", _answers(lambda i: f"Fact number {i}: Chunsik is Ryan's cat."))
    assert run("apply", "--auto-approve", "--target", "jobs.a").code == 0
    assert run("wait").code == 0
    manifest.write_text(manifest.read_text().replace(
        "file: ../evals/facts.jsonl", f"file: ../evals/facts.jsonl\n    grader: {{model: '{grader}'}}"))
    evals.write_text(_cases({"criteria": CRITERIA, "pairwise": True}))
    assert run("validate").code == 0

    project.emulator.clear_requests()
    judged = run("eval", "alpha", "--format", "json")
    assert judged.code == 0, judged.text
    report = json.loads(judged.out)
    # The estimate: the candidate's 40 answers, and 2 grades for each (the recording is not asked).
    assert f"Evaluating models.alpha: {3 * CASES} answer(s) to ask" in judged.err
    assert report["answers_asked"] == CASES and report["grades_asked"] == 2 * CASES
    assert _chats(project) == 3 * CASES
    assert report["evals"][0]["candidate_score"] == 1.0 and report["evals"][0]["baseline_score"] == 1.0
    assert report["verdict"] == "PASS"
    (grades,) = project.root.rglob("grades/*.jsonl")  # the grader's cache: both orders of every case
    orders = sorted(json.loads(line)["sample"] for line in grades.read_text().splitlines()[1:])
    assert orders == [0] * CASES + [1] * CASES

    project.emulator.clear_requests()
    again = json.loads(run("eval", "alpha", "--format", "json").out)
    assert again["grades_asked"] == 0 and again["answers_asked"] == 0 and again["verdict"] == "PASS"
    assert _chats(project) == 0

    # The plan's estimate of the promotion: the candidate's answers are cached, the grading is not
    # subtracted (its answers are not known before the candidate answers).
    plan = run("plan")
    assert plan.code == 0, plan.text
    found = re.search(r"sampling and grading at most \$([0-9]+\.[0-9]+)", plan.out)
    assert found and float(found.group(1)) > 0, plan.out

    # The same criteria on one answer at a time: the recording's answers are graded too, once each.
    evals.write_text(_cases(CRITERIA))
    project.emulator.clear_requests()
    single = run("eval", "alpha", "--format", "json")
    assert single.code == 0, single.text
    assert json.loads(single.out)["grades_asked"] == 2 * CASES  # the candidate's and the recording's
