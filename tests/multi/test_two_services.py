"""A project on two services (OpenAI and Azure OpenAI, each its own emulator) converges, and a
job moves from one to the other: trained there, the name kept on the old model until the new one
passes its checks, the old model then deleted through the old service."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.e2e.support import Result

from .conftest import AZURE_BASE, OPENAI_BASE, TwoServices, job_yaml

Run = Callable[..., Result]


def state(services: TwoServices) -> dict[str, object]:
    data: dict[str, object] = json.loads((services.root / "state" / "ftops.state.json").read_text())
    return data


def test_a_two_provider_project_converges(services: TwoServices, run: Run) -> None:
    services.write_manifest(job_yaml("a", OPENAI_BASE) + job_yaml("b", AZURE_BASE, "az"))
    planned = run("plan")
    assert planned.code == 0, planned.text
    assert "+ jobs.b@az" in planned.out and "+ datasets.train@az" in planned.out
    applied = run("apply", "--auto-approve")
    assert applied.code == 0, applied.text
    waited = run("wait")  # each alias's jobs, through its own provider
    assert waited.code == 0, waited.text
    jobs = {k: v for k, v in state(services)["resources"].items() if k.startswith("jobs.")}  # type: ignore[union-attr]
    assert {k: v["status"] for k, v in jobs.items()} == {"jobs.a": "succeeded", "jobs.b@az": "succeeded"}
    # Whatever was still training was waited for through its own provider (one wait each).
    assert waited.out.count("Waiting for 1 job(s)") == waited.out.count(": succeeded (ft:")
    assert run("apply", "--auto-approve").code == 0  # the promotion
    second = run("plan", "--detailed-exitcode")
    assert second.code == 0, second.text
    assert "No changes." in second.out
    resources = state(services)["resources"]
    assert isinstance(resources, dict)
    assert sorted(resources) == ["datasets.train", "datasets.train@az", "jobs.a", "jobs.b@az", "models.alpha"]
    # Each alias's service is recorded (type and address, never a key); one job on each.
    assert state(services)["providers"] == {
        "default": {"type": "openai", "base_url": services.openai.base_url},
        "az": {"type": "azure", "endpoint": services.azure.root_url},
    }
    assert [r.path for r in services.openai.requests() if r.method == "POST" and "fine_tuning" in r.path] \
        == ["/v1/fine_tuning/jobs"]
    assert len([r for r in services.azure.requests() if r.method == "POST" and "fine_tuning" in r.path]) == 1
    refreshed = run("apply", "--refresh-only", "--auto-approve")
    assert refreshed.code == 0, refreshed.text
    assert "the state already matched the account; nothing written" in refreshed.out

    # Dropping the alias while the state holds its resources would lose track of them: refused.
    manifest = services.root / "manifests" / "project.yaml"
    text = manifest.read_text()
    manifest.write_text(text[:text.index("providers:")] + text[text.index("datasets:"):]
                        .replace("    provider: az\n", ""))
    dropped = run("plan")
    assert dropped.code == 1
    assert dropped.err.splitlines()[0] == ("Error: the state holds resources on provider alias 'az', "
                                           "which the manifests no longer declare")


def test_a_move_from_openai_to_azure_checks_the_new_model_before_deleting_the_old(
    services: TwoServices, run: Run
) -> None:
    services.write_manifest(job_yaml("a", OPENAI_BASE))
    assert run("apply", "--auto-approve", "--wait").code == 0
    resources = state(services)["resources"]
    assert isinstance(resources, dict)
    old_model = resources["models.alpha"]["model_id"]
    assert old_model.startswith(f"ft:{OPENAI_BASE}:")
    before = json.loads(run("output", "alpha", "--with-provider", "--json").out)
    assert before == {"model": old_model, "provider": {"alias": "default", "type": "openai",
                                                        "base_url": services.openai.base_url}}
    moved_at = len(services.openai.requests()), len(services.azure.requests())

    services.write_manifest(job_yaml("a", AZURE_BASE, "az"))
    planned = run("plan")
    assert planned.code == 0, planned.text
    assert "jobs.a@az" in planned.out and "moves openai -> azure (default -> az)" in planned.out
    assert f"models.alpha keeps {old_model} until then" in planned.out
    shown = json.loads(run("plan", "--json").out)
    routes = {c["address"] + (f"[{c['deposed']}]" if c["deposed"] else ""): c["provider"]
              for c in shown["changes"] if c["action"] != "no-op"}
    assert routes == {"datasets.train": "default", "datasets.train@az": "az", "jobs.a": "default",
                      "jobs.a@az": "az", "models.alpha": "az", f"models.alpha[{old_model}]": "default"}
    assert "once models.alpha moved" in planned.out  # the old job's record stays until then
    # Until the name moves it serves the OpenAI model: its base and shutdown date are OpenAI's.
    assert f"models.alpha  {old_model} on {OPENAI_BASE}: 2027-01-14" in planned.out
    applied = run("apply", "--auto-approve", "--wait")
    assert applied.code == 0, applied.text
    resources = state(services)["resources"]
    new_model = resources["models.alpha"]["model_id"]
    assert new_model.startswith(f"ft:{AZURE_BASE}:")
    # Progress lines name the addresses the plan showed.
    assert "jobs.a@az: created job" in applied.out and "datasets.train@az: uploaded as" in applied.out
    assert sorted(resources) == ["datasets.train@az", "jobs.a@az", "models.alpha"]

    # The request logs of the two services: the new model's check (a chat on Azure) came before
    # the old model's deletion (on OpenAI), which went to OpenAI and nowhere else.
    openai_log = services.openai.requests()[moved_at[0]:]
    azure_log = services.azure.requests()[moved_at[1]:]
    deletions = [r for r in openai_log if r.method == "DELETE" and r.path.startswith("/v1/models/")]
    assert [r.path for r in deletions] == [f"/v1/models/{old_model}"]
    assert not [r for r in azure_log if r.method == "DELETE" and "/models/" in r.path]
    checks = [r for r in azure_log if r.path.endswith("/chat/completions") and r.status == 200]
    assert checks and max(r.started_at + r.duration_s for r in checks) <= deletions[0].started_at
    # Trained there once; nothing trained again on OpenAI.
    assert len([r for r in azure_log if r.method == "POST" and r.path.endswith("/fine_tuning/jobs")]) == 1
    assert not [r for r in openai_log if r.method == "POST" and r.path.endswith("/fine_tuning/jobs")]

    again = run("plan", "--detailed-exitcode")
    assert again.code == 0, again.text
    assert "No changes." in again.out
    # Applications follow the move: the name, its new model, and where it is now.
    assert run("output", "alpha", "--with-provider").out.strip() == (
        f"alpha = {new_model}  (azure {services.azure.root_url}, provider az)")
    assert json.loads(run("output", "--json").out) == {"alpha": new_model}  # unchanged for scripts
    status = run("status")
    assert status.code == 0, status.text
    assert "jobs.a@az" in status.out and f"models.alpha -> {new_model}" in status.out
    reply = run("chat", "alpha", "Who is Chunsik?")
    assert reply.code == 0 and "Ryan" in reply.out, reply.text
    for address in ("jobs.a@az", "models.alpha"):  # the curves, read from the job's own provider
        curves = run("metrics", address)
        assert curves.code == 0, curves.text


def test_a_saved_plan_applies_and_destroy_empties_both_accounts(services: TwoServices, run: Run) -> None:
    services.write_manifest(job_yaml("a", OPENAI_BASE) + job_yaml("b", AZURE_BASE, "az"))
    assert run("plan", "--out", "changes.plan").code == 0
    applied = run("apply", "changes.plan", "--auto-approve")
    assert applied.code == 0, applied.text
    assert run("apply", "changes.plan", "--auto-approve").code == 1  # stale once applied
    assert run("apply", "--auto-approve", "--wait").code == 0
    destroyed = run("destroy", "--auto-approve")
    assert destroyed.code == 0, destroyed.text
    assert "datasets.train@az" in destroyed.out and "jobs.b@az" in destroyed.out
    assert state(services)["resources"] == {}
    for emulator in (services.openai, services.azure):
        deleted = [r.path for r in emulator.requests() if r.method == "DELETE"]
        assert len([p for p in deleted if p.startswith("/v1/files/")]) == 1, deleted  # its one upload
    assert run("plan", "--detailed-exitcode").code == 2  # all to create again


def test_the_rehearsal_gives_each_alias_an_emulator_of_its_own(services: TwoServices, run: Run) -> None:
    """``--provider emulator``: every alias is served by an embedded emulator of its own (so a
    move is rehearsed across two accounts), with the rehearsal's state apart."""
    services.write_manifest(job_yaml("a", OPENAI_BASE) + job_yaml("b", AZURE_BASE, "az"))
    applied = run("apply", "--auto-approve", "--wait", "--provider", "emulator")
    assert applied.code == 0, applied.text
    again = run("plan", "--detailed-exitcode", "--provider", "emulator")
    assert again.code == 0, again.text
    rehearsal = json.loads((services.root / ".ftops" / "emulator" / "ftops.state.json").read_text())
    assert sorted(rehearsal["resources"]) == ["datasets.train", "datasets.train@az", "jobs.a", "jobs.b@az",
                                              "models.alpha"]
    assert rehearsal["providers"] == {"default": {"type": "emulator"}, "az": {"type": "emulator"}}
    assert (services.root / ".ftops" / "emulator" / "providers" / "az").is_dir()
    assert not (services.root / "state" / "ftops.state.json").exists()
    assert services.openai.requests() == [] and services.azure.requests() == []


def test_state_rm_and_import_of_a_job_on_an_alias(services: TwoServices, run: Run) -> None:
    services.write_manifest(job_yaml("a", OPENAI_BASE) + job_yaml("b", AZURE_BASE, "az"))
    assert run("apply", "--auto-approve", "--wait").code == 0
    resources = state(services)["resources"]
    assert isinstance(resources, dict)
    job_id = resources["jobs.b@az"]["job_id"]
    assert run("state", "rm", "jobs.b@az").code == 0
    imported = run("import", "jobs.b@az", job_id)  # looked up on Azure, recorded at jobs.b@az
    assert imported.code == 0, imported.text
    assert imported.out.strip().endswith("(on provider az)")
    after = state(services)["resources"]
    assert isinstance(after, dict) and after["jobs.b@az"]["job_id"] == job_id and "jobs.b" not in after
    again = run("plan", "--detailed-exitcode")
    assert again.code == 0, again.text


GATE = """\
evals:
  facts:
    file: ../evals/facts.jsonl
models:
  alpha:
    job: a
    gate: {evals: [facts], no_worse_than: current, margin: 0.1}
"""


def test_a_gated_move_judges_the_new_model_against_the_old_one_where_each_is(
    services: TwoServices, run: Run
) -> None:
    """``no_worse_than: current`` across a move: the candidate answers on Azure, the name's
    current model on OpenAI (the gate asks each through its own provider), then the name moves."""
    (services.root / "evals").mkdir()
    question = [{"role": "user", "content": "Who is Chunsik?"}]
    cases = [{"id": f"who-{i}", "contains": "Ryan", "messages": question} for i in range(40)]
    (services.root / "evals" / "facts.jsonl").write_text("".join(json.dumps(c) + "\n" for c in cases))

    def gated(jobs: str) -> None:
        services.write_manifest(jobs)
        manifest = services.root / "manifests" / "project.yaml"
        text = manifest.read_text()
        manifest.write_text(text[: text.index("models:")] + GATE)

    gated(job_yaml("a", OPENAI_BASE))
    first = run("apply", "--auto-approve", "--wait")
    assert first.code == 0, first.text
    old_model = state(services)["resources"]["models.alpha"]["model_id"]  # type: ignore[index]
    from ftops.evals.recordings import cache_path

    cache_path(services.root, old_model).unlink()  # its answers are asked again, where it is
    asked_before = len([r for r in services.openai.requests() if r.path.endswith("/chat/completions")])

    gated(job_yaml("a", AZURE_BASE, "az"))
    moved = run("apply", "--auto-approve", "--wait")
    assert moved.code == 0, moved.text
    assert "models.alpha: gate PASS" in moved.out, moved.out
    # The baseline (the OpenAI model) answered on OpenAI; the candidate on Azure.
    assert len([r for r in services.openai.requests() if r.path.endswith("/chat/completions")]) > asked_before
    assert [r for r in services.azure.requests() if r.path.endswith("/chat/completions")]
    new_model = state(services)["resources"]["models.alpha"]["model_id"]  # type: ignore[index]
    assert new_model != old_model and new_model.startswith(f"ft:{AZURE_BASE}:")
