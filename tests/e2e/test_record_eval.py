"""``ftops record`` and ``ftops eval`` through the CLI, against the emulator over HTTP with the real SDK.

The emulator's request log is the witness: a second record, and an unchanged eval,
send no chat request at all.
"""

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


def _examples(good: Callable[[int], bool]) -> list[dict[str, Any]]:
    return [
        {"messages": [{"role": "user", "content": f"Tell me fact {i} about training."},
                      {"role": "assistant", "content": f"Fact {i}: Chunsik is Ryan's cat." if good(i)
                       else f"Fact {i}: I would rather not say."}]}
        for i in range(CASES)
    ]


def _gate(project: Project) -> None:
    manifest = (project.root / "manifests" / "project.yaml").read_text()
    head = manifest[: manifest.index("models:")]
    (project.root / "manifests" / "project.yaml").write_text(head + GATED)
    (project.root / "evals").mkdir(exist_ok=True)
    cases = [{"id": f"fact-{i}", "contains": "Ryan",
              "messages": [{"role": "user", "content": f"Tell me fact {i} about training."}]}
             for i in range(CASES)]
    (project.root / "evals" / "facts.jsonl").write_text("".join(json.dumps(c) + "\n" for c in cases))


def _chats(project: Project) -> int:
    return sum(1 for r in project.emulator.requests() if f"{r.method} {r.path}" == CHAT)


def test_record_then_eval_against_the_recording(project: Project, run: Run) -> None:
    project.write_dataset("train", _examples(lambda i: True))
    _gate(project)
    assert run("apply", "--auto-approve", "--wait").code == 0
    model_a = run("output", "alpha").out.strip()

    plan = run("plan")
    assert f"models.alpha  {model_a} on gpt-4o-mini-2024-07-18: 2027-01-14 (51 days) and has no recording: " \
        "run ftops record alpha" in plan.out

    project.emulator.clear_requests()
    first = run("record", "alpha")
    assert first.code == 0, first.text
    assert "Recording 1 name(s): 40 answer(s) to ask" in first.out
    assert f"{CASES} answer(s) recorded, 0 already there" in first.out
    recordings = list((project.root / "recordings" / "alpha").glob("*.jsonl"))
    assert len(recordings) == 1
    header = json.loads(recordings[0].read_text().splitlines()[0])
    assert header["model"] == model_a and header["name"] == "alpha"
    assert header["base_model"] == "gpt-4o-mini-2024-07-18"
    assert _chats(project) == CASES

    project.emulator.clear_requests()
    again = run("record", "alpha")
    assert again.code == 0 and f"0 answer(s) recorded, {CASES} already there" in again.out
    assert _chats(project) == 0

    plan = run("plan")
    assert "has no recording: run ftops record alpha" not in plan.out
    assert f"2027-01-14 (51 days), recorded in recordings/alpha/{recordings[0].name}" in plan.out

    # The current model against its own recording: identical on 40 cases, which is enough for margin 0.1.
    judged = run("eval", "alpha", "--format", "json")
    assert judged.code == 0, judged.text
    report = json.loads(judged.out)
    assert report["verdict"] == "PASS" and report["evals"][0]["candidate_score"] == 1.0

    project.emulator.clear_requests()
    rerun = run("eval", "alpha")
    assert rerun.code == 0
    assert f"0 answer(s) asked, {CASES} from the cache" in rerun.out
    assert _chats(project) == 0


def test_a_pending_candidate_worse_than_the_recording_fails(project: Project, run: Run) -> None:
    project.write_dataset("train", _examples(lambda i: True))
    _gate(project)
    assert run("apply", "--auto-approve", "--wait").code == 0
    model_a = run("output", "alpha").out.strip()
    assert run("record", "alpha").code == 0
    # The recorded model is gone from the account: the recording is all that is left of it.
    project.account().models.delete(model_a)

    # The successor learned only half of what the old model knew.
    project.write_dataset("train", _examples(lambda i: i % 2 == 0))
    assert run("apply", "--auto-approve", "--target", "jobs.a").code == 0
    assert run("wait").code == 0
    judged = run("eval", "alpha", "--detailed-exitcode")
    assert judged.code == 3, judged.text
    assert "pending candidate ft:" in judged.out
    assert "baseline 1.000, candidate 0.500" in judged.out and ": FAIL (upper bound" in judged.out
    assert "pass -> fail  fact-1: the answer does not contain 'Ryan'" in judged.out
    assert judged.out.rstrip().endswith("Verdict: FAIL")
    assert run("output", "alpha").out.strip() == model_a  # eval never moves a name

    markdown = run("eval", "alpha", "--format", "markdown")
    assert markdown.code == 0 and "| `facts` | 40 | 1.000 | 0.500 |" in markdown.out


def test_eval_without_a_recording_names_the_command(project: Project, run: Run) -> None:
    _gate(project)
    assert run("apply", "--auto-approve", "--wait").code == 0
    result = run("eval", "alpha")
    assert result.code == 1
    assert "there is no recording of ft:" in result.err and "Run ftops record alpha" in result.err


def _model_deletes(project: Project) -> list[str]:
    return [r.path for r in project.emulator.requests() if r.method == "DELETE" and "/models/" in r.path]


def test_apply_moves_a_name_only_past_the_gate(project: Project, run: Run) -> None:
    project.write_dataset("train", _examples(lambda i: True))
    _gate(project)
    first = run("apply", "--auto-approve", "--wait")
    assert first.code == 0, first.text
    assert "models.alpha: gate PASS" in first.out  # the first model: no baseline, min_score only
    model_a = run("output", "alpha").out.strip()
    assert project.state()["resources"]["models.alpha"]["gate"]["verdict"] == "PASS"
    assert "gate PASS on " in run("status").out
    assert run("record", "alpha").code == 0
    project.account().models.delete(model_a)  # from now on only its recording knows how it answered

    # A successor clearly worse than the recording (though it passes half the cases) is refused.
    project.write_dataset("train", _examples(lambda i: i % 2 == 0))
    project.emulator.clear_requests()
    refused = run("apply", "--auto-approve", "--wait")
    assert refused.code == 1, refused.text
    assert "models.alpha: the gate says FAIL for ft:" in refused.err
    assert "evals.facts 1.000 -> 0.500, difference -0.500" in refused.err
    assert f"models.alpha keeps {model_a}" in refused.err
    assert "Failing: fact-1, fact-3, fact-5" in refused.err
    assert run("output", "alpha").out.strip() == model_a
    assert _model_deletes(project) == []  # nothing pruned
    last = project.state()["resources"]["models.alpha"]["gate"]
    assert last["verdict"] == "FAIL" and last["candidate"] != model_a
    assert f"gate FAIL for {last['candidate']} on " in run("status").out
    worse = project.state()["resources"]["jobs.a"]["fine_tuned_model"]
    assert worse in project.model_ids()

    # One as good as the recording, on 40 cases (enough for margin 0.1), takes the name.
    project.write_dataset("train", [
        {"messages": [{"role": "user", "content": f"Tell me fact {i} about training."},
                      {"role": "assistant", "content": f"Fact number {i}: Chunsik is Ryan's cat."}]}
        for i in range(CASES)])
    promoted = run("apply", "--auto-approve", "--wait")
    assert promoted.code == 0, promoted.text
    assert "models.alpha: gate PASS: evals.facts 1.000 -> 1.000" in promoted.out
    model_c = run("output", "alpha").out.strip()
    assert model_c not in (model_a, worse)
    verdict = project.state()["resources"]["models.alpha"]["gate"]
    assert verdict["candidate"] == model_c and verdict["baseline"] == model_a
    assert verdict["against"] == "recording" and set(verdict["evals"]) == {"facts"}


def test_an_inconclusive_verdict_moves_a_name_only_when_accepted(project: Project, run: Run) -> None:
    project.write_dataset("train", _examples(lambda i: True))
    _gate(project)
    # A margin of 0.01 cannot be shown on 40 cases, even when the answers are identical.
    manifest = project.root / "manifests" / "project.yaml"
    manifest.write_text(manifest.read_text().replace("no_worse_than: recording, margin: 0.1",
                                                     "no_worse_than: current, margin: 0.01"))
    assert run("apply", "--auto-approve", "--wait").code == 0
    model_a = run("output", "alpha").out.strip()
    project.write_dataset("train", [
        {"messages": [{"role": "user", "content": f"Tell me fact {i} about training."},
                      {"role": "assistant", "content": f"Fact number {i}: Chunsik is Ryan's cat."}]}
        for i in range(CASES)])
    refused = run("apply", "--auto-approve", "--wait")
    assert refused.code == 1
    assert "the gate says INCONCLUSIVE" in refused.err and "--accept-inconclusive alpha" in refused.err
    assert run("output", "alpha").out.strip() == model_a

    accepted = run("apply", "--auto-approve", "--wait", "--accept-inconclusive", "alpha")
    assert accepted.code == 0, accepted.text
    assert "models.alpha: gate INCONCLUSIVE (accepted)" in accepted.out
    verdict = project.state()["resources"]["models.alpha"]["gate"]
    assert verdict["verdict"] == "INCONCLUSIVE" and "@" in verdict["accepted_by"] and verdict["accepted_at"]
    assert run("output", "alpha").out.strip() != model_a


def test_the_plan_says_what_each_promotion_is_judged_on(project: Project, run: Run) -> None:
    project.write_dataset("train", _examples(lambda i: True))
    _gate(project)
    first = run("plan")
    assert first.code == 0, first.text
    assert "gate: evals.facts (40 cases, detects a drop beyond 0.088); min_score only: a name's first " \
        "model has no baseline; sampling at most $" in first.out
    assert run("apply", "--auto-approve", "--wait").code == 0
    model_a = run("output", "alpha").out.strip()

    project.write_dataset("train", _examples(lambda i: i % 2 == 0))
    refused = run("plan")
    assert refused.code == 1
    assert f"models.alpha: its gate compares with the recording of {model_a}, and there is none" \
        in refused.err
    assert "Run ftops record alpha" in refused.err

    assert run("record", "alpha").code == 0
    planned = run("plan")
    assert planned.code == 0, planned.text
    assert f"no worse than the recording of {model_a} by 0.1" in planned.out

    manifest = project.root / "manifests" / "project.yaml"
    manifest.write_text(manifest.read_text() + "budget: 0.01\n")
    over = run("plan")
    assert over.code == 1 and "gate sampling cost" in over.err


def test_record_other_prompts_several_samples_and_eval_against_any_model(project: Project, run: Run) -> None:
    project.write_dataset("train", _examples(lambda i: True))
    _gate(project)
    assert run("apply", "--auto-approve", "--wait").code == 0
    prompts = project.root / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"messages": [{"role": "user", "content": f"Fact {i}?"}]}) + "\n"
                               for i in range(3)))
    project.emulator.clear_requests()
    recorded = run("record", "alpha", "--prompts", "prompts.jsonl", "--samples", "2")
    assert recorded.code == 0, recorded.text
    assert "6 answer(s) recorded, 0 already there" in recorded.out
    lines = next((project.root / "recordings" / "alpha").glob("*.jsonl")).read_text().splitlines()[1:]
    assert sorted((json.loads(x)["sample"], json.loads(x)["params"]["seed"]) for x in lines) == \
        [(0, 0), (0, 0), (0, 0), (1, 0), (1, 0), (1, 0)]
    assert _chats(project) == 6

    # Any model id as the baseline: a base model that knows nothing of Chunsik is clearly worse.
    judged = run("eval", "alpha", "--against", "gpt-4o-mini-2024-07-18", "--format", "json")
    assert judged.code == 0, judged.text
    report = json.loads(judged.out)
    assert report["against"] == "model" and report["baseline"] == "gpt-4o-mini-2024-07-18"
    assert report["evals"][0]["baseline_score"] == 0.0 and report["verdict"] == "PASS"
    # The candidate's answers were cached when apply's gate judged it: only the baseline is asked.
    assert report["answers_asked"] == CASES and report["cache_hits"] == CASES


def _grading_example(answer: str, verdict: str) -> dict[str, Any]:
    question = ("Question:\nTell me fact 0 about training.\n\nCriteria:\nSays whose cat Chunsik is.\n\n"
                "Answer:\n")
    return {"messages": [{"role": "system", "content": "Grade."},
                         {"role": "user", "content": question + answer},
                         {"role": "assistant", "content": verdict}]}


def test_a_rubric_is_graded_by_the_pinned_grader_and_cached(project: Project, run: Run) -> None:
    project.write_dataset("train", _examples(lambda i: True))
    # jobs.b's model (models.beta) learns to grade: Ryan's cat passes, a refusal fails.
    project.write_dataset("extra", [_grading_example("Fact 0: Chunsik is Ryan's cat.", "PASS"),
                                    _grading_example("I'm not sure, I would rather not say.", "FAIL")] * 5)
    _gate(project)
    assert run("apply", "--auto-approve", "--wait").code == 0
    grader = run("output", "beta").out.strip()
    manifest = project.root / "manifests" / "project.yaml"
    manifest.write_text(manifest.read_text().replace(
        "file: ../evals/facts.jsonl", f"file: ../evals/facts.jsonl\n    grader: {{model: '{grader}'}}"))
    cases = [{"id": f"fact-{i}", "rubric": "Says whose cat Chunsik is.",
              "messages": [{"role": "user", "content": f"Tell me fact {i} about training."}]}
             for i in range(CASES)]
    (project.root / "evals" / "facts.jsonl").write_text("".join(json.dumps(c) + "\n" for c in cases))
    assert run("validate").code == 0

    judged = run("eval", "alpha", "--against", "gpt-4o-mini-2024-07-18", "--format", "json")
    assert judged.code == 0, judged.text
    report = json.loads(judged.out)
    assert report["evals"][0]["candidate_score"] == 1.0 and report["evals"][0]["baseline_score"] == 0.0
    assert report["grades_asked"] == 2 * CASES
    assert report["evals"][0]["verdict"] == "PASS"

    project.emulator.clear_requests()
    again = json.loads(run("eval", "alpha", "--against", "gpt-4o-mini-2024-07-18", "--format", "json").out)
    assert again["grades_asked"] == 0 and again["answers_asked"] == 0
    assert again["evals"][0]["candidate_score"] == 1.0
    assert _chats(project) == 0

    # Without a grader, validate points at every case whose rubric cannot be graded.
    manifest.write_text(manifest.read_text().replace(f"\n    grader: {{model: '{grader}'}}", ""))
    invalid = run("validate")
    assert invalid.code == 1
    assert "evals/facts.jsonl:1: rubric: a rubric needs a grader model: declare evals.facts.grader" \
        in invalid.out
