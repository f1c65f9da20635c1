"""Provider aliases (``providers:``) load into the typed model and their mistakes are refused
offline, each at its file:line."""

from __future__ import annotations

from pathlib import Path

from ftops.manifest import validate_manifests
from ftops.resources import ProviderConfig

from .helpers import write_project

TWO_PROVIDERS = """\
project: shop
provider: {type: openai}
providers:
  az: {type: azure, endpoint: "https://shop.openai.azure.com", api_version: "2025-04-01-preview"}
datasets:
  shared: {file: ../datasets/train.jsonl}
  only-az: {file: ../datasets/train.jsonl, provider: az}
jobs:
  here: {model: gpt-4.1-mini-2025-04-14, training_file: shared}
  there: {model: gpt-4.1-mini-2025-04-14, training_file: shared, validation_file: only-az, provider: az}
models:
  assistant: {job: there}
"""


def _load(tmp_path: Path, text: str) -> tuple[object, list[str]]:
    manifests = write_project(tmp_path, {"manifests/main.yaml": text, "datasets/train.jsonl": "{}\n"})
    project, diagnostics = validate_manifests(manifests)
    errors = [f"{Path(d.file).parent.name}/{Path(d.file).name}:{d.line}: {d.message}"
              for d in diagnostics if d.severity == "error"]
    return project, errors


def test_aliases_load_beside_the_default_provider(tmp_path: Path) -> None:
    project, errors = _load(tmp_path, TWO_PROVIDERS)
    assert errors == []
    assert project is not None
    assert project.provider == ProviderConfig(type="openai")  # type: ignore[attr-defined]
    assert project.providers["az"].type == "azure"  # type: ignore[attr-defined]
    assert project.jobs["there"].provider == "az"  # type: ignore[attr-defined]
    assert project.jobs["here"].provider is None  # type: ignore[attr-defined]
    assert project.datasets["only-az"].provider == "az"  # type: ignore[attr-defined]
    assert project.datasets["shared"].provider is None  # type: ignore[attr-defined]


def test_an_unknown_alias_is_refused_at_its_line(tmp_path: Path) -> None:
    _, errors = _load(tmp_path, TWO_PROVIDERS.replace("provider: az}\nmodels", "provider: ax}\nmodels"))
    assert len(errors) == 1
    assert errors[0].startswith("manifests/main.yaml:10: unknown provider alias 'ax'")
    assert errors[0].endswith("(declared: az, default)")


def test_a_job_cannot_read_a_dataset_that_lives_on_another_provider(tmp_path: Path) -> None:
    text = TWO_PROVIDERS.replace("training_file: shared}\n  there", "training_file: only-az}\n  there")
    _, errors = _load(tmp_path, text)
    assert errors == ["manifests/main.yaml:9: jobs.here trains on provider 'default' but datasets.only-az "
                      "lives only on 'az': remove `provider:` from the dataset to upload it to each "
                      "provider that reads it"]


def test_a_name_is_on_its_jobs_provider(tmp_path: Path) -> None:
    _, errors = _load(tmp_path, TWO_PROVIDERS.replace("{job: there}", "{job: there, provider: default}"))
    assert len(errors) == 1
    assert errors[0].startswith("manifests/main.yaml:12: models.assistant holds the model of jobs.there")


def test_alias_names_are_checked_by_the_schema(tmp_path: Path) -> None:
    _, errors = _load(tmp_path, TWO_PROVIDERS.replace("  az: {type: azure", "  default: {type: azure"))
    assert any("not 'default'" in e for e in errors)


def test_a_project_without_aliases_keeps_its_inputs_digest(tmp_path: Path) -> None:
    from ftops.plan.desired import project_model_json

    project, _ = _load(tmp_path, "project: shop\n")
    body = project_model_json(project)
    assert "providers" not in body
