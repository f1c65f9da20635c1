"""A dataset read by jobs on several providers is checked by every one of their rules.

Each case under ``shared/`` is a two-provider project (OpenAI and Together AI) whose jobs
share one file; ``expected.txt`` is every diagnostic ``validate`` gives, rendered
(empty: none). A problem only one provider has names it; one both have is said once.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ftops.apply.inputs import build_desired
from ftops.datasets import TrainingTerms, check_dataset, estimate_cost
from ftops.datasets.batch import CheckedBatch, CheckRequest
from ftops.errors import DatasetError
from ftops.manifest import load_project
from ftops.manifest.check import validate_all

CASES_DIR = Path(__file__).parent / "shared"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir())
OPENAI = "gpt-4.1-mini-2025-04-14"
QWEN = "Qwen/Qwen2.5-7B-Instruct"


def _install(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    shutil.copytree(CASES_DIR / case, root)
    monkeypatch.chdir(root)
    return root


@dataclass(frozen=True)
class Batch:
    requests: tuple[CheckRequest, ...]
    done: CheckedBatch


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[Batch]:
    """Every batch of dataset checks made: its requests (their terms) and its cache hits."""
    import ftops.datasets.batch as batch

    seen: list[Batch] = []
    real = batch.check_datasets

    def spy(requests: Sequence[CheckRequest], cache: Any = None, **options: Any) -> CheckedBatch:
        done = real(requests, cache, **options)
        seen.append(Batch(tuple(requests), done))
        return done

    monkeypatch.setattr(batch, "check_datasets", spy)
    return seen


def test_there_are_cases() -> None:
    assert {"refused-by-together", "refused-by-openai", "fine-for-both"} <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_validate_reports_exactly_the_expected_diagnostics(case: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _install(case, tmp_path, monkeypatch)
    expected = (CASES_DIR / case / "expected.txt").read_text(encoding="utf-8").splitlines()
    verdict = validate_all(Path("manifests"), cache=False)
    assert [d.render() for d in verdict.diagnostics] == expected
    assert verdict.valid == (case == "fine-for-both")


def test_a_problem_of_one_provider_names_it_at_its_line_and_a_common_one_is_said_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install("refused-by-together", tmp_path, monkeypatch)
    errors = [d for d in validate_all(Path("manifests"), cache=False).diagnostics if d.severity == "error"]
    assert [(d.line, d.message.endswith("(Together AI would refuse it)")) for d in errors] == [
        (4, True), (6, False)]
    assert sum(d.line == 6 for d in errors) == 1  # both providers refuse line 6: one diagnostic


def test_one_check_per_way_of_reading_the_file_and_hits_on_a_second_validate(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batches: list[Batch]) -> None:
    root = _install("fine-for-both", tmp_path, monkeypatch)
    main = root / "manifests" / "main.yaml"
    # a fourth reader that trains as on-openai does adds no check
    main.write_text(main.read_text(encoding="utf-8") + f"  again-on-openai:\n    model: {OPENAI}\n"
                    "    training_file: shared\n", encoding="utf-8")
    assert validate_all(Path("manifests")).valid
    first = batches[0]
    assert sorted((str(r.terms), r.model) for r in first.requests) == sorted([
        (str(TrainingTerms("openai")), OPENAI), (str(TrainingTerms("together")), QWEN),
        (str(TrainingTerms("together", "supervised", "full")), QWEN)])
    assert (first.done.hits, first.done.misses) == (0, 3)
    assert validate_all(Path("manifests")).valid
    assert (batches[1].done.hits, batches[1].done.misses) == (3, 0)


def test_plan_refuses_a_shared_file_one_provider_would_refuse(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _install("refused-by-openai", tmp_path, monkeypatch)
    with pytest.raises(DatasetError) as raised:
        build_desired(load_project(Path("manifests")), cache=False)
    [error] = raised.value.diagnostics
    assert error.line == 5 and error.message.endswith("(OpenAI would refuse it)")


def test_the_plan_prices_each_job_with_its_own_provider_s_terms(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    root = _install("fine-for-both", tmp_path, monkeypatch)
    main = root / "manifests" / "main.yaml"
    main.write_text(main.read_text(encoding="utf-8").replace(
        "method: {type: supervised, training: full}",
        "method: {type: supervised, training: full, hyperparameters: {n_epochs: 3}}"), encoding="utf-8")
    desired = build_desired(load_project(Path("manifests")), cache=False)
    path = root / "datasets" / "shared.jsonl"

    def expected(model: str, terms: TrainingTerms, epochs: int | None) -> tuple[int, float | None, bool]:
        report = check_dataset(path, "chat", model=model, terms=terms)
        assert report.stats is not None
        n_epochs = epochs if epochs is not None else report.stats.auto_epochs
        cost = estimate_cost(report.stats.billed_tokens, n_epochs, model, None, terms)
        return cost.training_tokens, cost.usd, report.stats.tokens_estimated

    def got(job: str) -> tuple[int | None, float | None, bool]:
        estimate = desired.estimates[job]
        return estimate.training_tokens, estimate.usd, estimate.tokens_estimated

    assert got("on-openai") == expected(OPENAI, TrainingTerms("openai"), None)
    assert got("on-together") == expected(QWEN, TrainingTerms("together"), None)
    assert got("full-on-together") == expected(QWEN, TrainingTerms("together", "supervised", "full"), 3)
    # the two services count the file's tokens differently: each job is priced from its own count
    assert got("on-openai")[2] is False and got("on-together")[2] is True
    assert got("on-openai")[0] != got("on-together")[0]



def test_validate_says_how_the_shown_report_was_read_and_the_other_ways(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from ftops.cli import app

    _install("refused-by-together", tmp_path, monkeypatch)
    runner = CliRunner()
    text = runner.invoke(app, ["validate", "--no-cache"])
    assert text.exit_code == 1
    assert (f"  as read by OpenAI, supervised training of {OPENAI} (also checked as read by Together AI, "
            f"supervised training of {QWEN})") in text.stdout
    as_json = runner.invoke(app, ["validate", "--no-cache", "--json"])
    assert json.loads(as_json.stdout)["datasets"]["shared"]["checked_for"] == [
        f"OpenAI, supervised training of {OPENAI}", f"Together AI, supervised training of {QWEN}"]
