"""Plan and apply through the CLI against the emulator: convergence, idempotence, adoption,
targeted retraining, promotion before pruning, destroy with a protected model."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from .support import Project, Result, chat_examples

Run = Callable[..., Result]


def converge(run: Run) -> Result:
    result = run("apply", "--auto-approve", "--wait")
    assert result.code == 0, result.text
    return result


def test_apply_from_nothing_converges_then_plans_no_changes(project: Project, run: Run) -> None:
    first = run("plan", "--detailed-exitcode")
    assert first.code == 2, first.text
    assert project.mutating() == []  # planning never changes the account

    converge(run)
    state = project.state()["resources"]
    assert sorted(a for a in state if not a.startswith("pending.")) == [
        "datasets.extra", "datasets.train", "datasets.valid",
        "jobs.a", "jobs.b", "models.alpha", "models.beta",
    ]
    assert not [a for a in state if a.startswith("pending.")]
    assert len(project.our_files()) == 3
    jobs = project.our_jobs()
    assert len(jobs) == 2 and {j.status for j in jobs} == {"succeeded"}
    assert state["models.alpha"]["model_id"] == state["jobs.a"]["fine_tuned_model"]

    again = run("plan", "--detailed-exitcode")
    assert again.code == 0, again.text
    assert "No changes" in again.out


def test_a_no_op_apply_makes_no_mutating_request(project: Project, run: Run) -> None:
    converge(run)
    serial = project.state()["serial"]
    project.emulator.clear_requests()
    result = converge(run)
    assert project.mutating() == []
    assert "No changes" in result.out
    assert project.state()["serial"] == serial


def test_editing_one_dataset_retrains_exactly_its_jobs(project: Project, run: Run) -> None:
    converge(run)
    before = project.state()["resources"]
    project.write_dataset("extra", chat_examples("new extras"))
    project.emulator.clear_requests()
    converge(run)
    after = project.state()["resources"]
    creates = [m for m in project.mutating() if m in ("POST /v1/files", "POST /v1/fine_tuning/jobs")]
    assert creates == ["POST /v1/files", "POST /v1/fine_tuning/jobs"]
    assert after["jobs.a"]["job_id"] == before["jobs.a"]["job_id"]
    assert after["jobs.b"]["job_id"] != before["jobs.b"]["job_id"]
    assert after["datasets.train"] == before["datasets.train"]
    # beta is protected: its old model is kept as a previous model, never deleted.
    assert after["models.beta"]["model_id"] == after["jobs.b"]["fine_tuned_model"]
    assert before["models.beta"]["model_id"] in project.model_ids()


def test_the_old_model_is_deleted_only_after_the_new_one_is_promoted(project: Project, run: Run) -> None:
    converge(run)
    old_model = project.state()["resources"]["models.alpha"]["model_id"]
    project.write_dataset("train", chat_examples("retrained"))
    project.emulator.clear_requests()
    converge(run)
    state = project.state()["resources"]
    new_model = state["models.alpha"]["model_id"]
    assert new_model != old_model
    log = [f"{r.method} {r.path}" for r in project.emulator.requests()]
    delete = log.index(f"DELETE /v1/models/{old_model}")
    check = max(i for i, line in enumerate(log) if line == "POST /v1/chat/completions")
    assert check < delete  # the check ran against the new model before the old one went
    assert old_model not in project.model_ids()
    assert new_model in project.model_ids()


def test_a_lost_state_is_adopted_with_zero_creates(project: Project, run: Run) -> None:
    converge(run)
    ids = {a: r for a, r in project.state()["resources"].items() if a.startswith(("datasets.", "jobs."))}
    project.state_path.unlink()
    project.emulator.clear_requests()
    plan = run("plan", "--json")
    assert plan.code == 0, plan.text
    actions = {c["address"]: c["action"] for c in json.loads(plan.out)["changes"]}
    assert all(actions[a] == "adopt" for a in ids), actions
    # Model names are re-pointed (their checks run again); nothing is created in the account.
    assert {a for a, action in actions.items() if action == "create"} <= {"models.alpha", "models.beta"}
    converge(run)
    creates = [m for m in project.mutating() if m in ("POST /v1/files", "POST /v1/fine_tuning/jobs")]
    assert creates == []
    state = project.state()["resources"]
    for address, record in ids.items():
        key = "file_id" if address.startswith("datasets.") else "job_id"
        assert state[address][key] == record[key]
    assert run("plan", "--detailed-exitcode").code == 0


def test_a_protected_model_survives_destroy(project: Project, run: Run) -> None:
    converge(run)
    state = project.state()["resources"]
    alpha, beta = state["models.alpha"]["model_id"], state["models.beta"]["model_id"]
    result = run("destroy", "--auto-approve")
    assert result.code == 0, result.text
    assert "protected" in result.out
    assert beta in project.model_ids()
    assert alpha not in project.model_ids()
    assert project.our_files() == []


def test_a_failed_check_keeps_the_old_model_and_exits_1(project: Project, run: Run) -> None:
    converge(run)
    old_model = project.state()["resources"]["models.alpha"]["model_id"]
    manifest = (project.root / "manifests" / "project.yaml").read_text()
    project.write_manifest(manifest.replace("contains: Ryan", "contains: NEVER-SAID"))
    project.write_dataset("train", chat_examples("retrained"))
    result = run("apply", "--auto-approve", "--wait")
    assert result.code == 1
    assert "models.alpha: check 1 failed" in result.err and "NEVER-SAID" in result.err
    assert "Traceback" not in result.text
    assert project.state()["resources"]["models.alpha"]["model_id"] == old_model
    assert old_model in project.model_ids()


def test_apply_without_a_terminal_refuses_instead_of_hanging(project: Project, run: Run) -> None:
    result = run("apply")
    assert result.code == 1
    assert "--auto-approve" in result.err
    assert project.mutating() == []
    assert not project.state_path.exists()


def test_without_wait_apply_returns_and_the_next_run_finishes(project: Project, run: Run) -> None:
    first = run("apply", "--auto-approve")
    assert first.code == 0, first.text
    assert "pending" in first.out.lower()
    assert "models.alpha" not in project.state()["resources"]
    converge(run)
    assert "models.alpha" in project.state()["resources"]
    assert len(project.our_jobs()) == 2


def test_the_fake_key_appears_in_no_output_state_or_plan_file(project: Project, run: Run) -> None:
    outputs = [
        run("plan", "--out", "plan.json"),
        run("-v", "apply", "--auto-approve", "--wait"),
        run("status"), run("output", "--json"), run("state", "list"),
        run("chat", "alpha", "Who is Chunsik?"),
        run("-v", "chat", "no-such-model", "hello"),  # a failure, with -v
    ]
    assert outputs[-1].code == 1
    for result in outputs:
        assert "SECRETSECRET" not in result.text
    assert (project.root / "plan.json").is_file() and project.state_path.is_file()
    # Every file ftops or the emulator wrote: state, backup, plan file, emulator database and blobs.
    written = [p for p in project.root.parent.rglob("*") if p.is_file()]
    assert any("emulator" in str(p) for p in written)
    for path in written:
        assert b"SECRETSECRET" not in path.read_bytes(), path


def test_planning_reads_the_account_in_three_listings(project: Project, run: Run) -> None:
    converge(run)
    account = project.account()
    for i in range(20):  # other files in the account do not cost requests
        account.files.create(file=(f"other-{i}.jsonl", b'{"a": 1}\n'), purpose="fine-tune")
    project.emulator.clear_requests()
    assert run("plan", "--detailed-exitcode").code == 0
    requests = [(r.method, r.path) for r in project.emulator.requests()]
    assert sorted(requests) == [("GET", "/v1/files"), ("GET", "/v1/fine_tuning/jobs"), ("GET", "/v1/models")]


def test_apply_reports_every_request_it_made_including_the_wait(project: Project, run: Run) -> None:
    project.emulator.clear_requests()
    result = converge(run)
    logged = project.emulator.requests()
    # The refresh before the plan is three listings; the figures apply prints count what follows.
    refresh = sorted(f"{r.method} {r.path}" for r in logged[:3])
    assert refresh == ["GET /v1/files", "GET /v1/fine_tuning/jobs", "GET /v1/models"]
    after_refresh = logged[3:]
    figures = re.search(r"\((\d+) API requests, (\d+) mutating\)", result.out)
    assert figures is not None, result.out
    assert int(figures.group(1)) == len(after_refresh)
    # "mutating" counts what changes the account: the checks' chats (POSTs) change nothing.
    chats = [r for r in after_refresh if r.path == "/v1/chat/completions"]
    assert chats, "the checks asked the new model"
    assert int(figures.group(2)) == sum(1 for r in after_refresh if r.mutating) - len(chats)
