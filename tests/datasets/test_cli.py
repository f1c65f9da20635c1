"""``ftops dataset stats``: diagnostics on stderr, statistics on stdout, exit 1 when untrainable."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from .conftest import chat_example

CORPUS = Path(__file__).parent / "corpus"


def ftops(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ftops", *args], capture_output=True, text=True, timeout=120)


def test_stats_of_a_good_file(write_jsonl: Callable[..., Path]) -> None:
    path = write_jsonl("train.jsonl", [chat_example(i) for i in range(60)])
    result = ftops("dataset", "stats", str(path), "--model", "gpt-4o-mini-2024-07-18")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "60 examples" in result.stdout and "tokens per example" in result.stdout
    assert "price table of 2025-06-01" in result.stdout and "epochs 3 (auto would choose 3)" in result.stdout


def test_stats_json_and_epochs(write_jsonl: Callable[..., Path]) -> None:
    path = write_jsonl("train.jsonl", [chat_example(i) for i in range(60)])
    result = ftops("dataset", "stats", str(path), "--model", "gpt-4o-mini", "--epochs", "2", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] and data["examples"] == 60 and data["stats"]["n_epochs"] == 2
    assert data["stats"]["estimated_training_tokens"] == 2 * data["stats"]["billed_tokens"]
    assert data["stats"]["cost"]["source"] == "package table"


def test_stats_of_a_broken_file_exits_1_with_located_errors() -> None:
    result = ftops(
        "dataset", "stats", str(CORPUS / "broken_reinforcement.jsonl"), "--format", "reinforcement"
    )
    assert result.returncode == 1
    assert "broken_reinforcement.jsonl:3: missing key 'messages'" in result.stderr
    assert "Traceback" not in result.stderr
    assert "NOT TRAINABLE" in result.stdout


def test_usage_errors_are_one_line(tmp_path: Path) -> None:
    missing = ftops("dataset", "stats", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 1 and missing.stderr.startswith("Error: cannot read")
    assert len(missing.stderr.strip().splitlines()) == 1
    bad_format = ftops("dataset", "stats", str(tmp_path / "nope.jsonl"), "--format", "completion")
    assert bad_format.returncode == 1 and "--format must be one of" in bad_format.stderr


def test_stats_with_together_s_rules_and_prices() -> None:
    """The same file, Together's rules (a developer role refused), formats and price table."""
    good = CORPUS / "together" / "good_instruction.jsonl"
    result = ftops("dataset", "stats", str(good), "--provider", "together", "--format", "instruction",
                   "--model", "Qwen/Qwen2.5-14B-Instruct", "--training", "full", "--json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)["stats"]
    assert stats["tokens_estimated"] is True and stats["n_epochs"] == 1
    assert stats["cost"]["usd_per_1m_tokens"] == 0.54
    broken_chat = CORPUS / "together" / "broken_chat.jsonl"
    broken = ftops("dataset", "stats", str(broken_chat), "--provider", "together")
    assert broken.returncode == 1
    assert "broken_chat.jsonl:2: messages[0].role: role must be system, user or assistant on Together AI" \
        in broken.stderr
    refused = ftops("dataset", "stats", str(good), "--format", "instruction")
    assert refused.returncode == 1
    assert "--format instruction is Together AI's: add --provider together" in refused.stderr
