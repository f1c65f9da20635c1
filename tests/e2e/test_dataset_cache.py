"""The dataset cache through the CLI: a warm plan checks nothing unchanged, and still catches a one-byte
change; the leakage warning survives a warm validate; --no-cache, FTOPS_CACHE_DIR, ``ftops cache``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ftops.datasets.batch import CheckRequest

from .support import Project, Result, chat_examples


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The datasets each command checked in full (not answered from the cache)."""
    names: list[str] = []
    real = CheckRequest.run

    def counting(self: CheckRequest, workers: int | None = None) -> object:
        names.append(self.name)
        return real(self, workers)

    monkeypatch.setattr(CheckRequest, "run", counting)
    return names


def _entries(root: Path) -> int:
    return len(list((root / ".ftops" / "cache").rglob("*.json")))


def test_a_warm_plan_checks_nothing_and_catches_a_one_byte_change(
    project: Project, run: Callable[..., Result], checked: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FTOPS_CACHE_DIR", raising=False)
    cold = run("plan")
    assert cold.code == 0, cold.text
    assert sorted(Path(name).name for name in checked) == ["extra.jsonl", "train.jsonl", "valid.jsonl"]
    assert _entries(project.root) == 3

    checked.clear()
    warm = run("plan")
    assert warm.code == 0, warm.text
    assert checked == []
    assert warm.out.replace(" ", "") == cold.out.replace(" ", "")  # the same plan, costs and all

    path = project.root / "datasets" / "valid.jsonl"
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b'"assistant"', b'"assistanT"', 1)  # one byte, same size
    path.write_bytes(b"\n".join(lines))
    changed = run("plan")
    assert changed.code == 1
    assert [Path(name).name for name in checked] == ["valid.jsonl"]  # only the changed file, again
    assert "valid.jsonl:3" in changed.err


def test_the_leakage_warning_survives_a_warm_validate(
    project: Project, run: Callable[..., Result], checked: list[str]
) -> None:
    project.write_dataset("valid", chat_examples("training")[:5] + chat_examples("validation")[5:])
    cold = run("validate")
    assert cold.code == 0, cold.text
    assert "also in the training file" in cold.out
    checked.clear()
    warm = run("validate")
    assert warm.code == 0 and checked == []
    assert warm.out == cold.out

    # The validation file changes: its leakage with the (cached) training file is found again.
    project.write_dataset("valid", chat_examples("training")[:7] + chat_examples("validation")[7:])
    again = run("validate")
    assert "7 examples (58% of the validation set) also in the training file" in again.out
    # the pair needs both files fingerprinted
    assert sorted(Path(name).name for name in checked) == ["train.jsonl", "valid.jsonl"]


def test_no_cache_reads_and_writes_no_entry(project: Project, run: Callable[..., Result],
                                            checked: list[str]) -> None:
    assert run("validate", "--no-cache").code == 0
    assert len(checked) == 3 and _entries(project.root) == 0
    assert run("plan", "--no-cache").code == 0
    assert len(checked) == 6 and _entries(project.root) == 0


def test_cache_dir_from_the_environment_and_the_cache_commands(
    project: Project, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "ci-cache"
    monkeypatch.setenv("FTOPS_CACHE_DIR", str(elsewhere))
    assert run("validate").code == 0
    assert _entries(project.root) == 0
    assert len(list(elsewhere.rglob("*.json"))) == 4  # three reports and the training/validation pair
    info = run("cache", "info")
    assert info.code == 0 and f"{elsewhere}: 4 entries" in info.out
    cleared = run("cache", "clear")
    assert cleared.code == 0 and "Removed 4 entries" in cleared.out
    assert not list(elsewhere.rglob("*.json"))


def test_validate_json_is_the_same_warm(project: Project, run: Callable[..., Result]) -> None:
    cold = json.loads(run("validate", "--json").out)
    warm = json.loads(run("validate", "--json").out)
    assert warm == cold
