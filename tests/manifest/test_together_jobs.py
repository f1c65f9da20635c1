"""A Together AI project: its job settings load into the shared resource model, and the
per-provider table refuses offline only what the chosen provider would refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftops.manifest import load_project, validate_manifests
from ftops.provider.accepts import acceptance_for
from ftops.provider.together.naming import BASE_MODELS
from ftops.resources import Hyperparameters, Method

from .helpers import write_project

TOGETHER = """\
project: moving
provider: {type: together}
datasets:
  train: {file: ../datasets/train.jsonl, format: instruction}
  valid: {file: ../datasets/valid.jsonl, format: instruction}
  prefs: {file: ../datasets/prefs.jsonl, format: preference}
jobs:
  full:
    model: Qwen/Qwen2.5-14B-Instruct
    training_file: train
    validation_file: valid
    seed: 7
    suffix: moved
    method:
      type: supervised
      training: full
      hyperparameters: {n_epochs: 2, batch_size: 16, learning_rate: 0.00002, n_checkpoints: 2,
                        n_evals: 4, warmup_ratio: 0.05}
  lora:
    model: meta-llama/Meta-Llama-3.1-70B-Instruct-Reference
    training_file: prefs
    method:
      type: dpo
      hyperparameters: {beta: 0.2, lora_rank: 32, lora_alpha: 64, lora_dropout: 0.1}
  shorthand:
    model: mistralai/Mistral-7B-Instruct-v0.2
    training_file: train
    hyperparameters: {n_epochs: 1, learning_rate: 1.0e-5}
"""


def _project(tmp_path: Path, manifest: str) -> Path:
    return write_project(tmp_path, {"manifests/main.yaml": manifest, "datasets/train.jsonl": "{}\n",
                                    "datasets/valid.jsonl": "{}\n", "datasets/prefs.jsonl": "{}\n"})


def test_together_settings_load_into_the_resource_model(tmp_path: Path) -> None:
    project = load_project(_project(tmp_path, TOGETHER))
    assert project.provider.type == "together"
    assert project.jobs["full"].method == Method(
        "supervised",
        Hyperparameters(n_epochs=2, batch_size=16, learning_rate=2e-05, n_checkpoints=2, n_evals=4,
                        warmup_ratio=0.05),
        training="full",
    )
    assert project.jobs["lora"].method == Method(
        "dpo", Hyperparameters(beta=0.2, lora_rank=32, lora_alpha=64, lora_dropout=0.1))
    shorthand = Method("supervised", Hyperparameters(n_epochs=1, learning_rate=1e-05))
    assert project.jobs["shorthand"].method == shorthand
    assert project.datasets["train"].format == "instruction"


@pytest.mark.parametrize("kind", ["openai", "azure", "emulator"])
def test_the_same_jobs_are_refused_on_openai_shaped_providers(tmp_path: Path, kind: str) -> None:
    manifest = TOGETHER.replace("provider: {type: together}", f"provider: {{type: {kind}}}")
    project, diagnostics = validate_manifests(_project(tmp_path, manifest))
    assert project is None
    service = "Azure OpenAI" if kind == "azure" else "OpenAI"
    refused = {d.path for d in diagnostics if d.code == "manifest.provider-refuses"}
    assert refused == {
        "jobs.full.method.training", "jobs.full.method.hyperparameters.learning_rate",
        "jobs.full.method.hyperparameters.n_checkpoints", "jobs.full.method.hyperparameters.n_evals",
        "jobs.full.method.hyperparameters.warmup_ratio", "jobs.lora.method.hyperparameters.lora_rank",
        "jobs.lora.method.hyperparameters.lora_alpha", "jobs.lora.method.hyperparameters.lora_dropout",
        "jobs.shorthand.hyperparameters.learning_rate",
    }
    messages = [d.message for d in diagnostics if d.code == "manifest.provider-refuses"]
    assert all(message.startswith(service + " ") for message in messages)
    formats = [d for d in diagnostics if d.code == "manifest.format-mismatch"]
    assert {d.path for d in formats} == {"jobs.full.training_file", "jobs.full.validation_file",
                                         "jobs.shorthand.training_file"}


def test_every_base_model_the_names_list_has_limits() -> None:
    assert set(acceptance_for("together").models) == set(BASE_MODELS)


def test_validate_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline, before any adapter: a good Together project is valid with its token counts
    labelled as estimates; a job Together would refuse exits 1 with its file and line."""
    import json

    from typer.testing import CliRunner

    from ftops.cli import app

    line = '{"prompt": "Who is Chunsik?", "completion": "Ryan\'s cat."}\n'
    manifest = ("project: moving\nprovider: {type: together}\ndatasets:\n"
                "  train: {file: ../datasets/train.jsonl, format: instruction}\n"
                "jobs:\n  tune:\n    model: Qwen/Qwen2.5-7B-Instruct\n    training_file: train\n")
    write_project(tmp_path, {"manifests/main.yaml": manifest, "datasets/train.jsonl": line})
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["validate", "--json", "--no-cache"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)["datasets"]["train"]["stats"]
    assert stats["tokens_estimated"] is True and stats["cost"]["source"] == "package table"
    text = runner.invoke(app, ["validate", "--no-cache"])
    assert "an ESTIMATE: no tokenizer of Qwen/Qwen2.5-7B-Instruct is installed" in text.output

    (tmp_path / "manifests" / "main.yaml").write_text(
        manifest + "    metadata: {team: search}\n", encoding="utf-8")
    refused = runner.invoke(app, ["validate"])
    assert refused.exit_code == 1
    assert refused.stdout.splitlines()[0] == (
        "manifests/main.yaml:9:5: jobs.tune.metadata: Together AI does not take metadata: "
        "its jobs carry no user metadata")


def test_the_suffix_cap_of_together_says_why_and_leaves_openai_s_limit_alone(tmp_path: Path) -> None:
    """Together's 40 characters lose 19 to ftops's identity token; an OpenAI job in the same
    project keeps OpenAI's own 64."""
    suffix = "chunsik-answers-in-korean-v2"  # 28 characters
    manifests = _project(tmp_path, f"""\
project: moving
provider: {{type: openai}}
providers:
  tg: {{type: together}}
datasets:
  train: {{file: ../datasets/train.jsonl}}
jobs:
  here: {{model: gpt-4.1-mini-2025-04-14, training_file: train, suffix: {suffix}}}
  there: {{model: Qwen/Qwen2.5-7B-Instruct, training_file: train, suffix: {suffix}, provider: tg}}
""")
    _, diagnostics = validate_manifests(manifests)
    refused = [d for d in diagnostics if d.severity == "error"]
    assert [(d.path, d.line) for d in refused] == [("jobs.there.suffix", 9)]
    assert refused[0].message == (
        "Together AI takes a suffix of at most 21 characters, not 28: the service takes 40 and ftops "
        "ends each suffix with -ftops-<12 hex>, the job's identity, since Together jobs carry no metadata")
