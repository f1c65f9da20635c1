"""Valid manifests load into the expected frozen model; files, symlinks and folders behave."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from types import MappingProxyType

import pytest

from ftops.errors import ManifestError
from ftops.manifest import find_project_root, load_project, validate_manifests
from ftops.plan.identity import canonical_method
from ftops.resources import (
    AUTO,
    ActiveModel,
    BackendConfig,
    Budget,
    Check,
    Dataset,
    Hyperparameters,
    Integration,
    Job,
    Method,
    Project,
    ProviderConfig,
    SourceLocation,
)

from .helpers import write_project

REPO = Path(__file__).resolve().parents[2]

MAIN = """\
project: shop
provider:
  type: azure
  endpoint: https://shop.openai.azure.com
  api_version: "2025-04-01-preview"
backend: {type: local, path: state/shop.json}
datasets:
  chat: {file: ../data/chat.jsonl}
  prefs: {file: ../data/prefs.jsonl, format: preference}
jobs:
  base:
    model: gpt-4o-mini-2024-07-18
    training_file: chat
    hyperparameters: {n_epochs: 3, learning_rate_multiplier: 2}
    suffix: base-v1
    seed: 7
    metadata: {team: search, ticket: "42"}
    integrations:
      - type: wandb
        wandb: {project: shop, tags: [a, b]}
budget: 12.5
pricing:
  gpt-4o-mini-2024-07-18: 3
"""

MORE = """\
# a second file: names merge with main.yaml
datasets:
  tasks: {file: ../data/tasks.jsonl, format: reinforcement}
jobs:
  polite:
    model: gpt-4.1-mini-2025-04-14
    training_file: prefs
    validation_file: prefs
    method:
      type: dpo
      hyperparameters: {beta: 0.1, batch_size: auto}
  reason:
    model: o4-mini-2025-04-16
    training_file: tasks
    method:
      type: reinforcement
      hyperparameters: {reasoning_effort: low, eval_interval: 5}
      grader: {type: string_check, name: same, operation: eq, input: "{{sample.output_text}}",
               reference: "{{item.answer}}"}
models:
  shop-bot:
    job: base
    protect: true
    keep_previous: 2
    checks:
      - messages: [{role: user, content: Hi}]
        contains: [hello, welcome]
        not_contains: sorry
        matches: "(?i)hel+o"
      - messages: [{role: user, content: "2+2?"}]
        equals: "4"
"""


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return write_project(tmp_path / "shop", {
        "manifests/main.yaml": MAIN,
        "manifests/more.yml": MORE,
        "manifests/.#main.yaml": "an editor's lock file: ignored",
        "manifests/old/ignored.yaml": "project: another",
        "data/chat.jsonl": "{}\n",
        "data/prefs.jsonl": "{}\n",
        "data/tasks.jsonl": "{}\n",
    })


def test_a_valid_multi_file_project_round_trips_to_the_typed_model(shop: Path) -> None:
    root = shop.parent.resolve()

    def at(file: str, line: int, column: int) -> SourceLocation:
        return SourceLocation(f"manifests/{file}", line, column)

    expected = Project(
        name="shop",
        root=root,
        manifests_dir=root / "manifests",
        manifest_files=(root / "manifests/main.yaml", root / "manifests/more.yml"),
        provider=ProviderConfig("azure", endpoint="https://shop.openai.azure.com",
                                api_version="2025-04-01-preview"),
        backend=BackendConfig("local", "state/shop.json"),
        datasets=MappingProxyType({
            "chat": Dataset("chat", root / "data/chat.jsonl", "../data/chat.jsonl", "chat",
                            at("main.yaml", 8, 3)),
            "prefs": Dataset("prefs", root / "data/prefs.jsonl", "../data/prefs.jsonl", "preference",
                             at("main.yaml", 9, 3)),
            "tasks": Dataset("tasks", root / "data/tasks.jsonl", "../data/tasks.jsonl", "reinforcement",
                             at("more.yml", 3, 3)),
        }),
        jobs=MappingProxyType({
            "base": Job(
                "base", "gpt-4o-mini-2024-07-18", "chat", None,
                Method("supervised", Hyperparameters(n_epochs=3, learning_rate_multiplier=2.0)),
                suffix="base-v1", seed=7, metadata=MappingProxyType({"team": "search", "ticket": "42"}),
                integrations=(Integration("wandb", MappingProxyType({"project": "shop", "tags": ("a", "b")})),
                              ),
                declared_at=at("main.yaml", 11, 3)),
            "polite": Job("polite", "gpt-4.1-mini-2025-04-14", "prefs", "prefs",
                          Method("dpo", Hyperparameters(beta=0.1, batch_size=AUTO)),
                          declared_at=at("more.yml", 5, 3)),
            "reason": Job("reason", "o4-mini-2025-04-16", "tasks", None,
                          Method("reinforcement", Hyperparameters(reasoning_effort="low", eval_interval=5),
                                 MappingProxyType({"type": "string_check", "name": "same", "operation": "eq",
                                                   "input": "{{sample.output_text}}",
                                                   "reference": "{{item.answer}}"})),
                          declared_at=at("more.yml", 12, 3)),
        }),
        models=MappingProxyType({
            "shop-bot": ActiveModel("shop-bot", "base", (
                Check((MappingProxyType({"role": "user", "content": "Hi"}),), ("hello", "welcome"),
                      ("sorry",), "(?i)hel+o", None, at("more.yml", 26, 9)),
                Check((MappingProxyType({"role": "user", "content": "2+2?"}),), equals="4",
                      declared_at=at("more.yml", 30, 9)),
            ), protect=True, keep_previous=2, declared_at=at("more.yml", 21, 3)),
        }),
        budget=Budget(12.5, at("main.yaml", 21, 1)),
        pricing=MappingProxyType({"gpt-4o-mini-2024-07-18": 3.0}),
    )
    project = load_project(shop)
    assert project == expected
    # the same inputs, spelled differently, give the same model
    assert isinstance(project.jobs["base"].method.hyperparameters.learning_rate_multiplier, float)


def test_the_typed_model_is_immutable(shop: Path) -> None:
    project = load_project(shop)
    with pytest.raises(dataclasses.FrozenInstanceError):
        project.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        project.jobs["base"].metadata["team"] = "x"  # type: ignore[index]
    assert canonical_method(project.jobs["base"].method) == {
        "type": "supervised",
        "supervised": {"hyperparameters": {"n_epochs": 3, "learning_rate_multiplier": 2.0}}}


def test_validation_file_equal_to_training_file_is_only_a_warning(shop: Path) -> None:
    project, diagnostics = validate_manifests(shop)
    assert project is not None
    assert [d.severity for d in diagnostics] == ["warning"]


def test_budget_as_a_mapping_and_defaults(tmp_path: Path) -> None:
    manifests = write_project(tmp_path / "p", {
        "manifests/m.yaml": "project: p\nbudget: {max_usd: 3}\n",
    })
    project = load_project(manifests)
    assert project.budget == Budget(3.0, SourceLocation("manifests/m.yaml", 2, 1))
    assert project.provider == ProviderConfig()
    assert project.backend == BackendConfig()
    assert dict(project.datasets) == {} and dict(project.jobs) == {} and dict(project.models) == {}


def test_unquoted_dates_stay_text_for_azure_api_versions(tmp_path: Path) -> None:
    manifests = write_project(tmp_path / "p", {
        "manifests/m.yaml": "project: p\nprovider:\n  type: azure\n  endpoint: https://x.openai.azure.com\n"
                            "  api_version: 2024-10-21\n",
    })
    assert load_project(manifests).provider.api_version == "2024-10-21"


def test_remote_backend_options_are_kept(tmp_path: Path) -> None:
    manifests = write_project(tmp_path / "p", {
        "manifests/m.yaml": "project: p\n"
                            "backend: {type: s3, bucket: b, key: shop/state.json, region: eu-west-1}\n",
    })
    backend = load_project(manifests).backend
    assert backend.type == "s3"
    assert dict(backend.options) == {"bucket": "b", "key": "shop/state.json", "region": "eu-west-1"}


def test_identical_settings_may_repeat_across_files(tmp_path: Path) -> None:
    manifests = write_project(tmp_path / "p", {
        "manifests/a.yaml": "project: p\nprovider: {type: emulator}\n",
        "manifests/b.yaml": "project: p\nprovider:\n  type: emulator\n",
    })
    assert load_project(manifests).provider.type == "emulator"


def test_a_symlink_inside_the_root_is_followed(tmp_path: Path) -> None:
    manifests = write_project(tmp_path / "p", {
        "manifests/m.yaml": "project: p\ndatasets:\n  d: {file: ../datasets/link.jsonl}\n",
        "datasets/real/train.jsonl": "{}\n",
    })
    os.symlink("real/train.jsonl", tmp_path / "p/datasets/link.jsonl")
    dataset = load_project(manifests).datasets["d"]
    assert dataset.path == (tmp_path / "p/datasets/real/train.jsonl").resolve()
    assert dataset.file == "../datasets/link.jsonl"


def test_a_symlink_escaping_the_root_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "secret.jsonl").write_text("{}\n")
    write_project(tmp_path / "p", {
        "manifests/m.yaml": "project: p\ndatasets:\n  d: {file: ../datasets/link.jsonl}\n",
    })
    (tmp_path / "p/datasets").mkdir()
    os.symlink(tmp_path / "secret.jsonl", tmp_path / "p/datasets/link.jsonl")
    monkeypatch.chdir(tmp_path / "p")
    with pytest.raises(ManifestError) as caught:
        load_project(Path("manifests"))
    assert [d.render() for d in caught.value.diagnostics] == [
        f"manifests/m.yaml:3:13: datasets.d.file: '../datasets/link.jsonl' resolves outside the project root "
        f"({(tmp_path / 'p').resolve()}); keep datasets inside the project"]
    assert str(caught.value) == "1 problem in manifests"


def test_a_manifest_linked_from_outside_the_root_is_refused_like_a_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "elsewhere.yaml").write_text("project: p\nbudget: 1000\n")
    write_project(tmp_path / "p", {"manifests/main.yaml": "project: p\n"})
    os.symlink(tmp_path / "elsewhere.yaml", tmp_path / "p/manifests/extra.yaml")
    monkeypatch.chdir(tmp_path / "p")
    project, diagnostics = validate_manifests(Path("manifests"))
    assert project is None
    assert [d.render() for d in diagnostics] == [
        f"manifests/extra.yaml: the file is a link to {(tmp_path / 'elsewhere.yaml').resolve()}, outside "
        f"the project root ({(tmp_path / 'p').resolve()}); keep manifests inside the project"]


def test_a_manifest_linked_from_inside_the_root_is_read(tmp_path: Path) -> None:
    manifests = write_project(tmp_path / "p", {"shared/common.yaml": "project: p\nbudget: 7\n"})
    manifests.mkdir(exist_ok=True)
    os.symlink("../shared/common.yaml", manifests / "common.yaml")
    budget = load_project(manifests).budget
    assert budget is not None and budget.max_usd == 7


def test_a_missing_manifests_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    project, diagnostics = validate_manifests(Path("nowhere"))
    assert project is None
    assert [d.render() for d in diagnostics] == [
        "nowhere: the manifests folder does not exist; run 'ftops init' to create a project, "
        "or pass --manifests"]


def test_paths_outside_the_current_directory_are_shown_absolute(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    manifests = write_project(tmp_path / "p", {"manifests/m.yaml": "project: [p]\n"})
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    _, diagnostics = validate_manifests(manifests)
    assert diagnostics[0].file == (manifests / "m.yaml").resolve().as_posix()


def test_find_project_root_is_the_parent_of_the_manifests_folder(tmp_path: Path) -> None:
    assert find_project_root(tmp_path / "x" / "manifests") == (tmp_path / "x").resolve()


def test_the_repository_example_is_valid() -> None:
    project = load_project(REPO / "manifests")
    assert project.name == "kakao-friends"
    assert list(project.jobs) == ["chunsik"]
    job = project.jobs["chunsik"]
    assert job.method.type == "supervised" and job.method.hyperparameters.n_epochs == 3
    assert job.suffix == "chunsik"
    assert project.provider.type == "together"  # it trains on every calendar day (issue 21)
    assert job.model == "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference" and job.method.training == "lora"
    model = project.models["chunsik"]
    assert model.job == "chunsik"
    assert model.checks[0].contains == ("Ryan",)
    assert model.checks[0].messages[-1] == {"role": "user", "content": "Who is Chunsik?"}
    assert model.gate is not None and model.gate.evals == ("chunsik-facts",)
    assert project.backend == BackendConfig("local", "state/ftops.state.json")
    train = project.datasets["chunsik-train"].path.read_text(encoding="utf-8").splitlines()
    valid = project.datasets["chunsik-valid"].path.read_text(encoding="utf-8").splitlines()
    assert len(train) >= 60 and len(valid) >= 10
    assert not set(train) & set(valid)


def test_a_pinned_model_loads_with_its_ownership_key_and_provenance_ignored(tmp_path: Path) -> None:
    manifests = write_project(tmp_path / "p", {
        "manifests/m.yaml": (
            "project: p\nmodels:\n  hand:\n    model: ft:gpt-4o-mini-2024-07-18:acme:hand:abc\n"
            "    delete_external: true\n    provenance: {job: ftjob-1, trained_tokens: 12}\n"
            "    checks:\n      - messages: [{role: user, content: hi}]\n        contains: hello\n"
        ),
    })
    model = load_project(manifests).models["hand"]
    assert (model.job, model.model, model.pinned, model.delete_external) == (
        None, "ft:gpt-4o-mini-2024-07-18:acme:hand:abc", True, True)
    assert len(model.checks) == 1
    assert model.declared_at == SourceLocation("manifests/m.yaml", 3, 3)
