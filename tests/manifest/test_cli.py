"""``ftops validate``, ``ftops schema`` and ``ftops init`` through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from ftops.cli import app

from .helpers import write_project

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_schema_prints_a_valid_draft_2020_12_schema() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["properties"]) >= {"project", "provider", "backend", "datasets", "jobs", "models",
                                         "budget", "pricing"}


def test_the_schema_accepts_the_example_and_rejects_a_typo() -> None:
    import yaml

    schema = json.loads(runner.invoke(app, ["schema"]).stdout)
    validator = Draft202012Validator(schema)
    example = yaml.safe_load((REPO / "manifests/kakao-friends.yaml").read_text(encoding="utf-8"))
    assert list(validator.iter_errors(example)) == []
    example["jobs"]["chunsik"]["sufix"] = "x"
    assert [e.validator for e in validator.iter_errors(example)] == ["additionalProperties"]


def test_validate_the_repository_example(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = runner.invoke(app, ["validate", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["valid"] is True
    assert not [d for d in report["diagnostics"] if d["severity"] == "error"]


def test_validate_reports_every_error_and_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = "project: p\njobs:\n  j:\n    model: gpt-4o-mini\n    training_file: d\n    sufix: x\n"
    write_project(tmp_path, {"manifests/m.yaml": manifest})
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "manifests/m.yaml:5:20: jobs.j.training_file: no dataset named 'd'",
        "manifests/m.yaml:6:5: jobs.j.sufix: unknown key 'sufix'; did you mean 'suffix'?",
    ]
    assert "Invalid: 2 error(s), 0 warning(s)." in result.output


def test_validate_json_lists_diagnostics_with_locations(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, {"manifests/m.yaml": "project: p\nprovider: {api_key: sk-abcdefghijklmnop}\n"})
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert report["datasets"] == {}
    assert [(d["file"], d["line"], d["column"], d["path"], d["code"]) for d in report["diagnostics"]] == [
        ("manifests/m.yaml", 2, 12, "provider.api_key", "manifest.secret-in-manifest"),
        ("manifests/m.yaml", 2, 21, "provider.api_key", "manifest.secret-value"),
    ]
    assert "sk-abcdefghijklmnop" not in result.output  # the key itself is never echoed


def test_validate_a_missing_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate", "--manifests", "nope"])
    assert result.exit_code == 1
    assert result.stdout.startswith("nope: the manifests folder does not exist")


def test_init_scaffolds_a_project_that_validates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "new shop"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    for relative in ("manifests/main.yaml", "manifests/manifest.schema.json", "datasets/train.jsonl",
                     "state/.gitignore"):
        assert (target / relative).is_file(), relative
    manifest = (target / "manifests/main.yaml").read_text(encoding="utf-8")
    assert manifest.startswith("# yaml-language-server: $schema=manifest.schema.json\n")
    assert "project: new-shop\n" in manifest
    assert "*.lock" in (target / "state/.gitignore").read_text(encoding="utf-8")
    monkeypatch.chdir(target)
    validated = runner.invoke(app, ["validate"])
    assert validated.exit_code == 0, validated.output
    assert "Valid: project new-shop" in validated.stdout


def test_init_never_overwrites(tmp_path: Path) -> None:
    first = runner.invoke(app, ["init", str(tmp_path), "--project", "kept"])
    assert first.exit_code == 0
    manifest = tmp_path / "manifests/main.yaml"
    edited = manifest.read_text(encoding="utf-8").replace("n_epochs: auto", "n_epochs: 4")
    assert edited != manifest.read_text(encoding="utf-8")
    manifest.write_text(edited, encoding="utf-8")
    again = runner.invoke(app, ["init", str(tmp_path)])
    assert again.exit_code == 0, again.output
    assert manifest.read_text(encoding="utf-8") == edited
    schema_copy = tmp_path / "manifests/manifest.schema.json"
    assert f"skipped  {schema_copy} (exists; left unchanged)" in again.stdout
    assert again.stdout.count("skipped") == 2  # the schema copy and state/.gitignore
    assert "created" not in again.stdout


def test_init_beside_existing_manifests_writes_no_starter(tmp_path: Path) -> None:
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests/mine.yaml").write_text("mine\n", encoding="utf-8")
    result = runner.invoke(app, ["init", str(tmp_path), "--project", "kept"])
    # The folder is a project already: no second, conflicting starter manifest, and its
    # manifests are checked before the backend is (this one is not a mapping).
    assert not (tmp_path / "manifests/main.yaml").exists()
    assert not (tmp_path / "datasets/train.jsonl").exists()
    assert (tmp_path / "manifests/mine.yaml").read_text(encoding="utf-8") == "mine\n"
    assert result.exit_code == 1


def test_init_refuses_a_bad_project_name(tmp_path: Path) -> None:
    from ftops.errors import UsageError

    result = runner.invoke(app, ["init", str(tmp_path), "--project", "bad name"])
    assert isinstance(result.exception, UsageError)
    assert not (tmp_path / "manifests").exists()


def test_help_does_not_import_yaml_or_jsonschema() -> None:
    import subprocess
    import sys

    code = ("import sys; from ftops.cli import app; from typer.testing import CliRunner; "
            "CliRunner().invoke(app, ['--help']); "
            "print(sorted(m for m in ('yaml', 'jsonschema', 'ftops.manifest') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def _chat_lines(count: int, topic: str) -> str:
    return "".join(
        json.dumps({"messages": [{"role": "user", "content": f"{topic} question {i}?"},
                                 {"role": "assistant", "content": f"{topic} answer {i}."}]}) + "\n"
        for i in range(count))


def test_validate_checks_the_referenced_datasets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = _chat_lines(12, "train") + '{"messages": [{"role": "user", "content": "no reply"}\n'
    write_project(tmp_path, {
        "manifests/m.yaml": "project: p\ndatasets:\n  train: {file: ../datasets/train.jsonl}\n"
                            "jobs:\n  j: {model: gpt-4o-mini-2024-07-18, training_file: train}\n",
        "datasets/train.jsonl": broken,
    })
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    errors = [d for d in report["diagnostics"] if d["severity"] == "error"]
    assert errors and {(d["file"], d["line"]) for d in errors} == {("datasets/train.jsonl", 13)}
    assert set(report["datasets"]) == {"train"}


def test_validate_checks_training_and_validation_for_leakage(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    shared = _chat_lines(12, "same")
    write_project(tmp_path, {
        "manifests/m.yaml": "project: p\ndatasets:\n  a: {file: ../datasets/a.jsonl}\n"
                            "  b: {file: ../datasets/b.jsonl}\njobs:\n"
                            "  j: {model: gpt-4o-mini-2024-07-18, training_file: a, validation_file: b}\n",
        "datasets/a.jsonl": shared + _chat_lines(60, "train"),
        "datasets/b.jsonl": shared,
    })
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate", "--json", "--no-tokens"])
    report = json.loads(result.stdout)
    leaks = [d for d in report["diagnostics"] if d["code"] == "dataset.leakage"]
    assert [(d["file"], d["severity"]) for d in leaks] == [("datasets/b.jsonl", "warning")]
    assert set(report["datasets"]) == {"a", "b"}


def test_validate_refuses_a_misspelled_base_model_and_never_asks_to_price_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    examples = [{"messages": [{"role": "system", "content": "Be brief."},
                              {"role": "user", "content": f"Who is Chunsik? ({i})"},
                              {"role": "assistant", "content": "Ryan's cat."}]} for i in range(10)]
    write_project(tmp_path, {
        "manifests/m.yaml": "project: p\nbudget: 5\ndatasets:\n  d: {file: ../datasets/d.jsonl}\n"
                            "jobs:\n  j:\n    model: gpt4o-mini\n    training_file: d\n",
        "datasets/d.jsonl": "".join(json.dumps(example) + "\n" for example in examples),
    })
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 1
    assert ("manifests/m.yaml:7:12: jobs.j.model: 'gpt4o-mini' is not a model OpenAI fine-tunes; "
            "did you mean 'gpt-4o-mini-2024-07-18' or 'gpt-4.1-mini-2025-04-14'?") in result.stdout
    assert "estimated cost: give a model to estimate it" in result.stdout  # the dataset was checked
    assert "pricing" not in result.output and "price known for gpt4o-mini" not in result.output
