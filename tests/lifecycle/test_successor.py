"""The move to a successor base model, as docs/lifecycle.md tells it, on the emulator through
the CLI: change the job's model; the plan shows the replacement and its cost; the name keeps
the old model until the new one has passed its checks; the old one is pruned only after."""

from __future__ import annotations

from collections.abc import Callable

import openai

from .support import OLD_BASE, SUCCESSOR, World, day

Make = Callable[..., World]


def _index(log: list[str], entry: str, start: int = 0) -> int:
    return log.index(entry, start)


def test_moving_a_model_name_to_a_successor_base(world_factory: Make) -> None:
    # Slow enough (a job takes about two seconds) that step 2 sees the new job still running.
    world = world_factory(model_shutdowns=((OLD_BASE, day(30)), (SUCCESSOR, day(400))), speed=100.0)
    assert world.run("apply", "--auto-approve", "--wait").code == 0
    old_model = world.state()["models.chunsik"]["model_id"]
    assert old_model.startswith(f"ft:{OLD_BASE}:")
    assert f"models.chunsik: {old_model} (on {OLD_BASE}) shuts down on {day(30)}" in world.run("plan").out

    # 1. Change the job's model to the successor.
    world.write_manifest(SUCCESSOR)
    plan = world.run("plan", "--json").json()
    job = next(c for c in plan["changes"] if c["address"] == "jobs.chunsik")
    assert job["action"] == "replace"
    assert {"path": "model", "before": OLD_BASE, "after": SUCCESSOR} in job["fields"]
    assert [(c["address"], c["model"]) for c in plan["costs"]] == [("jobs.chunsik", SUCCESSOR)]
    assert plan["costs"][0]["training_tokens"] > 0
    prune = next(c for c in plan["changes"] if c["deposed"] == old_model)
    assert prune["address"] == "models.chunsik"
    assert prune["action"] == "delete" and "after the promotion" in prune["reason"]
    text = world.run("plan").out
    assert f"models.chunsik keeps {old_model} until then" in text
    assert f"jobs.chunsik  {SUCCESSOR}" in text  # the cost line of the replacement

    # 2. Apply without waiting: the new job starts, the name still serves the old model.
    world.emulator.clear_requests()
    started = world.run("apply", "--auto-approve")
    assert started.code == 0, started.text
    assert "models.chunsik: pending, jobs.chunsik is" in started.out
    assert world.state()["models.chunsik"]["model_id"] == old_model
    assert not any(entry.startswith("DELETE /v1/models/") for entry in world.log())
    assert old_model in {m.id for m in _models(world)}
    assert world.run("output", "chunsik").out.strip() == old_model

    # 3. Apply again, waiting: promotion after the checks pass, then the old model is pruned.
    world.emulator.clear_requests()
    finished = world.run("apply", "--auto-approve", "--wait")
    assert finished.code == 0, finished.text
    new_model = world.state()["models.chunsik"]["model_id"]
    assert new_model.startswith(f"ft:{SUCCESSOR}:")
    log = world.log()
    new_job = world.state()["jobs.chunsik"]["job_id"]
    succeeded_read = max(i for i, entry in enumerate(log) if entry == f"GET /v1/fine_tuning/jobs/{new_job}")
    check = _index(log, "POST /v1/chat/completions", succeeded_read)
    delete = _index(log, f"DELETE /v1/models/{old_model}")
    assert succeeded_read < check < delete, log
    assert log.count(f"DELETE /v1/models/{old_model}") == 1
    listed = {m.id for m in _models(world)}
    assert new_model in listed and old_model not in listed
    assert f"models.chunsik: now {new_model}, 1 check(s) passed" in finished.out
    assert finished.out.index(f"now {new_model}") < finished.out.index(f"deleted model {old_model}")

    # 4. Settled: nothing left to do, and the dates shown are the successor's.
    settled = world.run("plan", "--json").json()
    assert settled["summary"]["has_changes"] is False
    assert settled["lifecycle"][0]["base_model"] == SUCCESSOR
    assert settled["lifecycle"][0]["shutdown_date"] == day(400)
    assert settled["warnings"] == []


def test_a_successor_that_fails_its_checks_is_not_promoted_and_the_old_model_stays(
    world_factory: Make,
) -> None:
    world = world_factory()
    assert world.run("apply", "--auto-approve", "--wait").code == 0
    old_model = world.state()["models.chunsik"]["model_id"]
    world.write_manifest(SUCCESSOR, contains="Totoro")  # no reply of the new model says that
    world.emulator.clear_requests()
    result = world.run("apply", "--auto-approve", "--wait")
    assert result.code == 1
    assert f"models.chunsik keeps {old_model}" in result.err
    assert world.state()["models.chunsik"]["model_id"] == old_model
    assert "POST /v1/chat/completions" in world.log()
    assert not any(entry.startswith("DELETE /v1/models/") for entry in world.log())
    assert old_model in {m.id for m in _models(world)}


def _models(world: World) -> list[openai.types.Model]:
    client = openai.OpenAI(api_key="test-key", base_url=world.emulator.base_url)
    try:
        return list(client.models.list())
    finally:
        client.close()
