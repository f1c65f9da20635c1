"""Models made elsewhere, through the CLI against the emulator over HTTP with the real openai SDK:
a fine-tune made by hand (uploaded and trained with the SDK, no ftops metadata) is pinned by
``init --from-account``, converges in one apply and survives ``destroy``; ``import`` of one then
``destroy`` leaves it; a name moved from the pin to a job keeps the pin until the promotion and
never deletes it."""

from __future__ import annotations

import io
import json
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .support import Project, Result, chat_examples

Run = Callable[..., Result]


def hand_made_model(project: Project, suffix: str, metadata: dict[str, str] | None = None) -> tuple[str, str]:
    """Upload a file and train a job with the plain SDK, as a person does; (model id, file id)."""
    client = project.account()
    lines = "".join(json.dumps(e) + "\n" for e in chat_examples(f"hand-{suffix}"))
    file = client.files.create(file=(f"{suffix}.jsonl", io.BytesIO(lines.encode())), purpose="fine-tune")
    extra: dict[str, Any] = {"metadata": metadata} if metadata else {}
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file.id,
                                         suffix=suffix, **extra)
    deadline = time.monotonic() + 60
    while job.status not in ("succeeded", "failed", "cancelled") and time.monotonic() < deadline:
        time.sleep(0.05)
        job = client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "succeeded" and job.fine_tuned_model, job
    return job.fine_tuned_model, file.id


@pytest.fixture
def elsewhere(project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty folder for a new project whose provider (openai, no base_url) reaches the
    emulator through the SDK's own OPENAI_BASE_URL."""
    monkeypatch.setenv("OPENAI_BASE_URL", project.emulator.base_url)
    return tmp_path / "pins"


def test_init_from_account_pins_a_hand_made_model_converges_and_survives_destroy(
    project: Project, run: Run, elsewhere: Path
) -> None:
    model_id, file_id = hand_made_model(project, "handmade")
    managed_id, _ = hand_made_model(project, "theirs", {"ftops_project": "someone-else"})

    result = run("init", str(elsewhere), "--from-account")
    assert result.code == 0, result.text
    assert f"found    {model_id} (job ftjob-" in result.out and "pinned as models.handmade" in result.out
    assert f"{managed_id} (job " in result.out
    assert "managed by ftops project someone-else, not pinned" in result.out
    saved = elsewhere / "datasets" / "handmade-training.jsonl"
    assert saved.read_text() == "".join(json.dumps(e) + "\n" for e in chat_examples("hand-handmade"))
    manifest = (elsewhere / "manifests" / "main.yaml").read_text()
    assert f'    model: "{model_id}"' in manifest and managed_id in manifest.split("Managed by another")[1]
    assert f'"id": "{file_id}", "name": "handmade.jsonl", "saved_as": "../datasets/handmade-training.jsonl"' \
        in manifest
    assert 'base_model: "gpt-4o-mini-2024-07-18"' in manifest and "trained_tokens: " in manifest

    manifests = str(elsewhere / "manifests")
    assert run("validate", "--manifests", manifests).code == 0
    plan = run("plan", "--manifests", manifests)
    assert plan.code == 0 and f"pin {model_id} (made elsewhere)" in plan.out, plan.text
    applied = run("apply", "--manifests", manifests, "--auto-approve")
    assert applied.code == 0, applied.text
    state = json.loads((elsewhere / "state" / "ftops.state.json").read_text())
    assert state["resources"]["models.handmade"]["origins"] == {model_id: "pinned"}
    status = run("status", "--manifests", manifests)
    assert f"models.handmade -> {model_id} (base gpt-4o-mini-2024-07-18)" in status.out, status.text
    assert "[pinned: not created by ftops]" in status.out
    again = run("plan", "--manifests", manifests, "--detailed-exitcode")
    assert again.code == 0 and "No changes." in again.out, again.text

    destroyed = run("destroy", "--manifests", manifests, "--auto-approve")
    assert destroyed.code == 0, destroyed.text
    assert "not created by ftops" in destroyed.text
    assert model_id in project.model_ids() and managed_id in project.model_ids()

    # A second run overwrites nothing: the manifest and the saved data are left as they are.
    saved.write_text("edited by hand\n")
    second = run("init", str(elsewhere), "--from-account")
    assert second.code == 0, second.text
    assert "skipped  datasets/handmade-training.jsonl (exists; left unchanged)" in second.out
    assert "skipped  manifests/main.yaml" in second.out
    assert saved.read_text() == "edited by hand\n"
    assert (elsewhere / "manifests" / "main.yaml").read_text() == manifest


def test_init_from_account_says_when_the_service_does_not_give_the_training_data(
    project: Project, run: Run, elsewhere: Path
) -> None:
    model_id, file_id = hand_made_model(project, "gone")
    project.account().files.delete(file_id)  # the service answers 404 for its content now
    result = run("init", str(elsewhere), "--from-account")
    assert result.code == 0, result.text
    refused = ("refused  models.gone: training file not saved, the service refused it: "
               f"download file {file_id}: ")
    assert refused in result.out and "(HTTP 404)" in result.out
    assert not (elsewhere / "datasets" / "gone-training.jsonl").exists()
    assert "1 training file(s) refused" in result.out
    assert f'model: "{model_id}"' in (elsewhere / "manifests" / "main.yaml").read_text()


@pytest.mark.parametrize("project", [{"refuse_training_downloads": True}], indirect=True)
def test_init_from_account_reports_a_service_that_keeps_training_files_to_itself(
    project: Project, run: Run, elsewhere: Path
) -> None:
    model_id, file_id = hand_made_model(project, "kept")
    result = run("init", str(elsewhere), "--from-account")
    assert result.code == 0, result.text
    refused = ("refused  models.kept: training file not saved, the service refused it: "
               f"download file {file_id}: Not allowed to download files of purpose: fine-tune (HTTP 400)")
    assert refused in result.out
    assert not (elsewhere / "datasets" / "kept-training.jsonl").exists()
    manifest = (elsewhere / "manifests" / "main.yaml").read_text()
    assert f'training_file: {{"id": "{file_id}", "name": "kept.jsonl"}}' in manifest  # named, not saved
    assert f'model: "{model_id}"' in manifest


def test_import_of_a_hand_made_model_then_destroy_leaves_it(project: Project, run: Run) -> None:
    model_id, _ = hand_made_model(project, "imported")
    result = run("import", "models.alpha", model_id)
    assert result.code == 0 and "not created by ftops" in result.out, result.text
    assert project.state()["resources"]["models.alpha"]["origins"] == {model_id: "imported"}
    destroyed = run("destroy", "--auto-approve")
    assert destroyed.code == 0, destroyed.text
    assert model_id in project.model_ids()
    assert "models.alpha" not in project.state()["resources"]


PINNED = """\
project: e2e
provider:
  type: openai
  base_url: {base_url}
models:
  bot:
    model: "%s"
    checks:
      - messages: [{role: user, content: Who is Chunsik?}]
        contains: Ryan
"""

TRAINED = """\
project: e2e
provider:
  type: openai
  base_url: {base_url}
datasets:
  train:
    file: ../datasets/train.jsonl
jobs:
  successor:
    model: gpt-4o-mini-2024-07-18
    training_file: train
    suffix: successor
    method: {type: supervised, hyperparameters: {n_epochs: 1}}
models:
  bot:
    job: successor
    checks:
      - messages: [{role: user, content: Who is Chunsik?}]
        contains: Ryan
"""


def test_a_name_moved_from_a_pin_to_a_job_keeps_the_pin_until_promotion_and_never_deletes_it(
    project: Project, run: Run
) -> None:
    pin, _ = hand_made_model(project, "pinned")
    project.write_manifest(textwrap.dedent(PINNED) % pin)
    assert run("apply", "--auto-approve").code == 0
    assert project.state()["resources"]["models.bot"]["model_id"] == pin

    project.write_manifest(TRAINED)
    plan = run("plan")
    assert f"models.bot keeps {pin} until then" in plan.out, plan.text
    started = run("apply", "--auto-approve")  # creates the job, does not wait: the name stays
    assert started.code == 0, started.text
    assert project.state()["resources"]["models.bot"]["model_id"] == pin
    waited = run("apply", "--auto-approve", "--wait")
    assert waited.code == 0, waited.text
    record = project.state()["resources"]["models.bot"]
    successor = record["model_id"]
    assert successor != pin and successor.startswith("ft:gpt-4o-mini-2024-07-18:")
    assert ":successor:" in successor
    assert record["previous"] == [pin] and record["origins"] == {successor: "ftops", pin: "pinned"}
    assert pin in project.model_ids()
    assert run("plan", "--detailed-exitcode").code == 0

    assert run("destroy", "--auto-approve").code == 0
    assert pin in project.model_ids() and successor not in project.model_ids()


def test_a_pin_whose_checks_fail_is_refused_and_the_name_is_not_recorded(project: Project, run: Run) -> None:
    pin, _ = hand_made_model(project, "failing")
    project.write_manifest((textwrap.dedent(PINNED) % pin).replace("contains: Ryan", "contains: Muzi"))
    result = run("apply", "--auto-approve")
    assert result.code == 1 and "models.bot" in result.err and "Muzi" in result.err, result.text
    recorded = project.state()["resources"] if project.state_path.exists() else {}
    assert "models.bot" not in recorded
    assert pin in project.model_ids()
