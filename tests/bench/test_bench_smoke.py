"""Every benchmark runs at ``--quick`` sizes and reports its figures, so none can rot unseen.

Not a timed test: no assertion on a duration. What is asserted is what each benchmark
exists to show and that holds whatever the machine's speed: request counts from the
emulator's log, zero mutations, no SDK import on the start-up paths, every figure present.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # ``bench`` is a folder of the repository, not an installed package

from bench import scenario  # noqa: E402
from bench.__main__ import BENCHMARKS  # noqa: E402


def run_quick(name: str, results: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench", name, "--quick", "--results", str(results)],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "== " in done.stdout
    data: dict[str, Any] = json.loads((results / f"{name}.json").read_text())
    assert data["name"] == name and data["quick"] is True
    assert data["rows"] and all(row["value"] for row in data["rows"])
    assert f"### {data['title']}" in (results / "latest.md").read_text()
    return data


def test_every_benchmark_is_covered_below() -> None:
    assert set(BENCHMARKS) == {"startup", "plan_at_scale", "noop_apply", "scaling", "uploads", "datasets",
                               "cache", "together_plan", "multi_plan"}


def test_plan_at_scale(tmp_path: Path) -> None:
    figures = run_quick("plan_at_scale", tmp_path)["figures"]
    # 40 of the project's jobs fit in one page: files, jobs, models.
    assert figures["plan_api_requests"] == 3 and figures["plan_cli_requests"] == 3
    assert figures["refresh_requests"] == 3
    assert figures["plan_api_mutating"] == 0
    assert figures["per_resource_requests"] == figures["state_resources"] == 45
    assert figures["ratio_requests"] == pytest.approx(15.0)
    for key in ("plan_api_s", "plan_cli_s", "refresh_s", "per_resource_seq_s", "per_resource_par_s"):
        assert figures[key] > 0


def test_together_plan(tmp_path: Path) -> None:
    figures = run_quick("together_plan", tmp_path)["figures"]
    # Files, fine-tunes (read once for jobs and models), supported base models: whatever the size.
    assert figures["plan_requests"] == 3 and figures["plan_mutating"] == 0
    assert figures["per_resource_requests"] == figures["per_resource_resources"] == 10


def test_noop_apply(tmp_path: Path) -> None:
    data = run_quick("noop_apply", tmp_path)
    sizes = data["figures"]["sizes"]
    assert [s["finished_jobs"] for s in sizes] == [10, 30]
    assert all(s["mutating"] == 0 and s["requests"] == 3 for s in sizes)
    assert all(goal["met"] for goal in data["goals"])


def test_startup(tmp_path: Path) -> None:
    figures = run_quick("startup", tmp_path)["figures"]
    assert figures["heavy_modules_help"] == [] and figures["heavy_modules_validate"] == []
    assert figures["modules_help"] < figures["modules_validate"]
    for key in ("python_floor_s", "import_openai_s", "help_s", "validate_s"):
        assert figures[key] > 0


def test_scaling(tmp_path: Path) -> None:
    curve = run_quick("scaling", tmp_path)["figures"]["curve"]
    assert [point["resources"] for point in curve] == [11, 100]
    assert all(point["requests"] == 3 for point in curve)
    assert all(point["state_kib"] > 0 and point["state_write_ms"] > 0 for point in curve)


def test_uploads(tmp_path: Path) -> None:
    figures = run_quick("uploads", tmp_path)["figures"]
    assert figures["part_mb"] == 8 and figures["file_mb"] > 40
    for mode in ("ftops", "sdk"):
        assert figures[f"{mode}_mb_per_s"] > 0 and figures[f"{mode}_rss_peak_mb"] > 0


def test_datasets(tmp_path: Path) -> None:
    (size,) = run_quick("datasets", tmp_path)["figures"]["sizes"]
    assert size["size_mb"] == 2.0 and size["data"] == "realistic"
    assert size["no_tokens_mb_per_s"] > 0 and size["cookbook_mb_per_s"] > 0
    assert size["cpu_s_tokens"] > 0 and size["cpu_s_cookbook"] > 0 and size["cpu_s_tokenizer"] > 0
    assert "rss_worker_mb" not in size  # 2 MB is counted inline: no worker process
    assert size["rss_after_cookbook_mb"] >= size["rss_after_tokens_mb"] > 0


def test_cache(tmp_path: Path) -> None:
    figures = run_quick("cache", tmp_path)["figures"]
    for name in ("sha256sum_s", "cold_plan_s", "warm_plan_s", "changed_plan_s", "one_dataset_alone_s",
                 "no_cache_plan_s", "fixed_plan_s"):
        assert figures[name] > 0, name
    assert 9.5 <= figures["size_mb"] <= 11  # ten datasets of about 1 MB


def test_unknown_benchmark_is_refused() -> None:
    done = subprocess.run([sys.executable, "-m", "bench", "nosuch"], cwd=REPO, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 2 and "unknown benchmark nosuch" in done.stderr


def test_proportional_scale_keeps_the_issue_proportions() -> None:
    for resources in (10, 100, 1_000, 10_000):
        scale = scenario.proportional(resources)
        assert abs(scale.state_resources - resources) <= 1
        assert scale.datasets == scale.jobs and scale.project_jobs <= scale.account_jobs
    assert scenario.FULL.state_resources == 1_100


def test_realistic_dataset_text_is_not_a_tiny_vocabulary(tmp_path: Path) -> None:
    """The datasets benchmark's default text: thousands of words, new ones all along, some
    texts a word cache cannot split (code blocks), some non-ASCII; the sample text is ~60 words."""
    from collections import Counter

    from bench import bench_datasets

    path = tmp_path / "realistic.jsonl"
    bench_datasets.generate(path, 2.0)
    texts = bench_datasets.texts_of(path)
    words = Counter(word for text in texts for word in text.split())
    assert len(words) > 3000
    assert sum(1 for count in words.values() if count == 1) / sum(words.values()) > 0.005  # new words
    assert any("\n    " in text for text in texts) and any("\n- " in text or "\n* " in text for text in texts)
    assert any(not text.isascii() for text in texts)
    assert sum(count > 1 for count in Counter(texts).values()) <= 8  # only the system prompts repeat

    sample = tmp_path / "sample.jsonl"
    bench_datasets.generate(sample, 0.5, data="sample")
    assert len({w for text in bench_datasets.texts_of(sample) for w in text.split()}) < 70


def test_multi_plan(tmp_path: Path) -> None:
    figures = run_quick("multi_plan", tmp_path)["figures"]
    # Three listings per provider, whatever the size; nothing written.
    assert figures["one_requests"] == 3 and figures["two_requests"] == 6
    assert figures["one_mutating"] == figures["two_mutating"] == 0
