"""``init --from-account``'s pure part: which models are fine-tunes, the names they are pinned
under, and a manifest that loads back with every pin and its provenance."""

from __future__ import annotations

from pathlib import Path

from ftops.manifest import load_project
from ftops.manifest.from_account import Pin, fine_tuned_models, pin_names, render_manifest
from ftops.plan.observed import ObservedFile, ObservedJob, ObservedModel
from ftops.provider.types import JobIdentity
from ftops.resources import freeze

BASE = "gpt-4o-mini-2024-07-18"


def job(job_id: str, output: str, project: str | None = None) -> ObservedJob:
    return ObservedJob(job_id, "succeeded", BASE, "file-1", None, output,
                       freeze({"ftops_project": project} if project else {}), 100, 200, 5000,
                       hyperparameters=freeze({"n_epochs": 3}),
                       # as the adapter reads the ftops_project tag
                       identity=JobIdentity(project, None, "") if project else None)


def test_fine_tunes_are_found_with_their_jobs_and_base_models_are_left_out() -> None:
    models = [ObservedModel(BASE, "system", 1, shutdown_date="2027-01-14"),
              ObservedModel(f"ft:{BASE}:org:bot:1", "org", 5),
              ObservedModel(f"ft:{BASE}:org:bot:2", "org", 6),
              ObservedModel("azure-style-output", "org", 7)]
    jobs = [job("ftjob-1", f"ft:{BASE}:org:bot:1"), job("ftjob-3", "azure-style-output", "shop")]
    found = fine_tuned_models(models, jobs, [ObservedFile("file-1", "train.jsonl", 10, "fine-tune", "ok", 1)])
    expected = [f"ft:{BASE}:org:bot:1", f"ft:{BASE}:org:bot:2", "azure-style-output"]
    assert [m.model_id for m in found] == expected
    first, second, third = found
    assert (first.job_id, first.base_model, first.shutdown_date, first.files[0].filename) == (
        "ftjob-1", BASE, "2027-01-14", "train.jsonl")
    assert (second.job_id, second.base_model, second.files) == (None, BASE, ())
    assert third.managed_by == "shop"


def test_names_come_from_suffixes_are_valid_and_unique() -> None:
    models = fine_tuned_models(
        [ObservedModel(f"ft:{BASE}:org:bot:1", "o", 1), ObservedModel(f"ft:{BASE}:org:bot:2", "o", 2),
         ObservedModel(f"ft:{BASE}:org:Bot:3", "o", 3), ObservedModel(f"ft:{BASE}:org::4", "o", 4),
         ObservedModel(f"ft:{BASE}:org:{'x' * 70}.v2:5", "o", 5)], [], [])
    names = list(pin_names(models).values())
    assert names == ["bot", "bot-2", "Bot-3", BASE.replace(".", "-"), "x" * 64]


def test_the_manifest_written_loads_back_with_every_pin(tmp_path: Path) -> None:
    models = fine_tuned_models([ObservedModel(f"ft:{BASE}:org:bot:1", "o", 1)],
                               [job("ftjob-1", f"ft:{BASE}:org:bot:1")], [])
    text = render_manifest("migrated", "openai", [Pin("bot", models[0], freeze({"file-1": "../datasets/x"}))],
                           [], "2026-12-06")
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "main.yaml").write_text(text)
    project = load_project(tmp_path / "manifests")
    assert project.name == "migrated" and project.models["bot"].model == f"ft:{BASE}:org:bot:1"
    assert '"saved_as": "../datasets/x"' in text and 'job: "ftjob-1"' in text
