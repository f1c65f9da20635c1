"""The other commands through the CLI: status, wait, output, chat, import, state, plan flags."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from .support import Project, Result, chat_examples, spawn

Run = Callable[..., Result]


def converge(run: Run) -> None:
    result = run("apply", "--auto-approve", "--wait")
    assert result.code == 0, result.text


def test_output_status_and_chat(project: Project, run: Run) -> None:
    assert "Nothing in the state yet" in run("status").out
    converge(run)
    state = project.state()["resources"]
    alpha = state["models.alpha"]["model_id"]

    everything = run("output", "--json")
    assert json.loads(everything.out) == {"alpha": alpha, "beta": state["models.beta"]["model_id"]}
    assert run("output", "alpha").out.strip() == alpha
    missing = run("output", "gamma")
    assert missing.code == 1 and "models.gamma" in missing.err

    status = json.loads(run("status", "--json").out)
    jobs = status["jobs"]
    models = {m["name"]: m for m in status["models"]}
    assert models["alpha"]["model_id"] == alpha
    assert models["alpha"]["base_model"] == "gpt-4o-mini-2024-07-18"
    assert models["alpha"]["shutdown_date"]  # the emulator serves the base model's date
    assert [(j["address"], j["status"]) for j in jobs] == [("jobs.a", "succeeded"), ("jobs.b", "succeeded")]
    assert all(j["trained_tokens"] for j in jobs)
    plain = run("status")
    assert "jobs.a" in plain.out and f"models.alpha -> {alpha}" in plain.out

    reply = run("chat", "alpha", "Who is Chunsik?")
    assert reply.code == 0 and "Ryan" in reply.out
    by_id = run("chat", alpha, "Who is Chunsik?")
    assert by_id.code == 0 and "Ryan" in by_id.out
    unknown = run("chat", "ft:gpt-4o-mini-2024-07-18:nobody::none", "hi")
    assert unknown.code == 1 and unknown.err.startswith("Error: chat with")
    assert "Traceback" not in unknown.err


def test_chat_with_a_name_not_promoted_yet_says_so(project: Project, run: Run) -> None:
    result = run("chat", "alpha", "hello")
    assert result.code == 1
    assert "models.alpha points at no model yet" in result.err


def test_wait_finishes_what_apply_left_running(project: Project, run: Run) -> None:
    assert run("apply", "--auto-approve").code == 0
    waited = run("wait")
    assert waited.code == 0, waited.text
    records = project.state()["resources"]
    assert records["jobs.a"]["status"] == records["jobs.b"]["status"] == "succeeded"
    assert run("wait", "jobs.nope").code == 1


def test_state_list_show_mv_rm(project: Project, run: Run) -> None:
    converge(run)
    listed = run("state", "list").out.split()
    assert "jobs.a" in listed and "models.alpha" in listed
    shown = json.loads(run("state", "show", "jobs.a").out)
    assert shown["job_id"].startswith("ftjob-")
    assert run("state", "show", "jobs.zzz").code == 1

    wrong_kind = run("state", "mv", "jobs.a", "models.a")
    assert wrong_kind.code == 1 and "keeps its kind" in wrong_kind.err
    assert run("state", "mv", "jobs.a", "jobs.renamed").code == 0
    assert "jobs.renamed" in run("state", "list").out.split()
    assert run("state", "mv", "jobs.renamed", "jobs.a").code == 0

    serial = project.state()["serial"]
    assert run("state", "rm", "jobs.a").code == 0
    assert "jobs.a" not in project.state()["resources"]
    assert project.state()["serial"] == serial + 1
    # Forgotten, not deleted: the next plan adopts it again by its tags.
    plan = json.loads(run("plan", "--json").out)
    actions = {c["address"]: c["action"] for c in plan["changes"]}
    assert actions["jobs.a"] == "adopt"


def test_import_records_existing_objects(project: Project, run: Run) -> None:
    converge(run)
    before = project.state()["resources"]
    for address in ("datasets.train", "jobs.a", "models.alpha"):
        assert run("state", "rm", address).code == 0
    file_id = before["datasets.train"]["file_id"]
    job_id = before["jobs.a"]["job_id"]
    model_id = before["models.alpha"]["model_id"]
    assert run("import", "datasets.train", "file-does-not-exist").code == 1
    assert run("import", "datasets.valid", before["datasets.valid"]["file_id"]).code == 1  # already there
    for address, object_id in (("datasets.train", file_id), ("jobs.a", job_id), ("models.alpha", model_id)):
        result = run("import", address, object_id)
        assert result.code == 0, result.text
    after = project.state()["resources"]
    assert after["datasets.train"]["content_hash"] == before["datasets.train"]["content_hash"]
    assert after["jobs.a"]["inputs_hash"] == before["jobs.a"]["inputs_hash"]
    assert after["models.alpha"]["model_id"] == model_id
    assert run("plan", "--detailed-exitcode").code == 0


def test_plan_formats_targets_and_replace(project: Project, run: Run) -> None:
    markdown = run("plan", "--format", "markdown")
    assert markdown.code == 0 and "|" in markdown.out
    assert run("plan", "--format", "yaml").code == 1
    targeted = json.loads(run("plan", "--json", "--target", "jobs.b").out)
    addresses = {c["address"] for c in targeted["changes"] if c["action"] != "no-op"}
    assert addresses == {"datasets.extra", "jobs.b"}
    assert run("plan", "--target", "jobs.nope").code == 1

    converge(run)
    job_b = project.state()["resources"]["jobs.b"]["job_id"]
    project.emulator.clear_requests()
    replaced = run("apply", "--auto-approve", "--wait", "--replace", "jobs.b")
    assert replaced.code == 0, replaced.text
    creates = [m for m in project.mutating() if m == "POST /v1/fine_tuning/jobs"]
    assert creates == ["POST /v1/fine_tuning/jobs"]
    assert project.state()["resources"]["jobs.b"]["job_id"] != job_b
    assert run("plan", "--detailed-exitcode").code == 0


def test_refresh_only_reports_drift_and_changes_nothing(project: Project, run: Run) -> None:
    converge(run)
    alpha = project.state()["resources"]["models.alpha"]["model_id"]
    project.account().models.delete(alpha)  # deleted outside ftops
    project.emulator.clear_requests()
    drift = run("plan", "--refresh-only", "--detailed-exitcode")
    assert drift.code == 2, drift.text
    assert alpha in drift.out
    assert project.mutating() == []


def test_a_second_apply_waits_for_the_lock_with_lock_timeout(project: Project, run: Run) -> None:
    both = [spawn(project, "apply", "--auto-approve", "--wait", "--lock-timeout", "90s") for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in both]
    assert [p.returncode for p in both] == [0, 0], outputs
    # Whichever ran second found the work done: one of them made no change.
    assert any("No changes" in out for out, _err in outputs), outputs
    assert len(project.our_jobs()) == 2 and len(project.our_files()) == 3


def test_a_dataset_error_stops_before_any_request(project: Project, run: Run) -> None:
    project.write_dataset("extra", [*chat_examples("x"), {"messages": "not a list"}])
    (project.root / "datasets" / "extra.jsonl").write_text(
        (project.root / "datasets" / "extra.jsonl").read_text() + "{broken json\n"
    )
    result = run("apply", "--auto-approve")
    assert result.code == 1
    assert "extra.jsonl:13" in result.err  # file and line
    assert project.emulator.requests() == []
    assert not project.state_path.exists()


def test_missing_key_names_the_variable(project: Project, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    result = run("plan")
    assert result.code == 1
    assert "OPENAI_API_KEY is not set" in result.err
    assert project.emulator.requests() == []


@pytest.mark.parametrize(("answer", "applied"), [("yes\n", True), ("no\n", False), ("y\n", False)])
def test_apply_on_a_terminal_asks_and_only_yes_applies(
    answer: str, applied: bool, project: Project, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ftops.cli.core_cmds._stdin_is_terminal", lambda: True)
    result = run("apply", stdin=answer)
    assert result.code == 0, result.text
    assert "Only 'yes' will be accepted" in result.out
    assert project.state_path.exists() is applied
    assert ("Apply cancelled." in result.out) is not applied


def test_destroy_without_a_terminal_refuses(project: Project, run: Run) -> None:
    converge(run)
    project.emulator.clear_requests()
    result = run("destroy")
    assert result.code == 1 and "--auto-approve" in result.err
    assert project.mutating() == []


def test_a_saved_plan_takes_no_planning_flags(project: Project, run: Run) -> None:
    assert run("plan", "--out", "p.plan").code == 0
    result = run("apply", "p.plan", "--target", "jobs.a")
    assert result.code == 1 and "saved plan" in result.err


def test_wait_also_waits_for_a_job_no_model_promotes(project: Project, run: Run) -> None:
    manifest = (project.root / "manifests" / "project.yaml").read_text()
    extra_job = "  c:\n    model: gpt-4o-mini-2024-07-18\n    training_file: extra\n    suffix: c\nmodels:\n"
    project.write_manifest(manifest.replace("models:\n", extra_job, 1))
    converge(run)
    record = project.state()["resources"]["jobs.c"]
    assert record["status"] == "succeeded" and record["fine_tuned_model"]


def test_state_pull_and_push(project: Project, run: Run) -> None:
    converge(run)
    pulled = run("state", "pull")
    assert pulled.code == 0 and json.loads(pulled.out)["serial"] == project.state()["serial"]
    (project.root / "old.json").write_text(pulled.out)
    assert run("state", "rm", "jobs.a").code == 0
    older = run("state", "push", "old.json")
    assert older.code == 1 and "serial" in older.err  # older than what is stored
    forced = run("state", "push", "old.json", "--force")
    assert forced.code == 0, forced.text
    assert "jobs.a" in project.state()["resources"]
    assert run("plan", "--detailed-exitcode").code == 0


@pytest.mark.parametrize("project", [{"speed": 1.0}], indirect=True)  # jobs take minutes
def test_a_job_cancelled_while_apply_waits_fails_it_and_ends_the_other_waits(
    project: Project, run: Run
) -> None:
    process = spawn(project, "apply", "--auto-approve", "--wait")
    deadline = time.monotonic() + 60
    jobs: dict[str, str] = {}
    while len(jobs) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
        if project.state_path.exists():
            resources = project.state()["resources"]
            jobs = {a: r["job_id"] for a, r in resources.items() if a.startswith("jobs.")}
    assert len(jobs) == 2, "apply never created its jobs"
    project.account().fine_tuning.jobs.cancel(jobs["jobs.a"])
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, out + err
    assert f"jobs.a ({jobs['jobs.a']}) cancelled" in err
    assert "stopped waiting for job" in out  # beta's wait ended instead of lasting minutes
    state = project.state()["resources"]
    assert state["jobs.a"]["status"] == "cancelled"
    assert "models.alpha" not in state
    assert project.account().fine_tuning.jobs.retrieve(jobs["jobs.b"]).status != "cancelled"


def test_the_embedded_emulator_keeps_its_own_state(project: Project, run: Run) -> None:
    converged = run("apply", "--provider", "emulator", "--auto-approve", "--wait")
    assert converged.code == 0, converged.text
    assert "Using the embedded emulator" in converged.err
    assert project.emulator.requests() == []  # the manifests' provider was not used
    assert not project.state_path.exists()  # the real state is untouched
    emulator_state = project.root / ".ftops" / "emulator" / "ftops.state.json"
    assert "models.alpha" in json.loads(emulator_state.read_text())["resources"]
    assert json.loads(run("output", "--provider", "emulator", "--json").out)["alpha"].startswith("ft:")
    assert run("output", "--json").out.strip() == "{}"
    assert run("plan", "--provider", "emulator", "--detailed-exitcode").code == 0
    assert run("plan", "--detailed-exitcode").code == 2  # the real account still needs everything


def test_on_a_terminal_status_is_a_table_and_apply_shows_bars(
    project: Project, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ftops.cli.core_cmds._interactive", lambda: True)
    applied = run("apply", "--auto-approve", "--wait")
    assert applied.code == 0, applied.text
    assert "upload datasets.train" in applied.out  # a rich progress task, not a plain line
    table = run("status")
    assert table.code == 0
    assert "trained tokens" in table.out and "jobs.a" in table.out and "│" in table.out
