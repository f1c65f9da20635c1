"""Together's training-file check (run when a job starts), line by line, without a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftops.emulator.together.datasets import check_training_file
from ftops.emulator.training import FileProblem, TrainingSummary

from .data import CAPITALS, GENERAL, INSTRUCTIONS, PREFERENCES, write_jsonl


@pytest.mark.parametrize(
    ("examples", "method"), [(CAPITALS, "sft"), (INSTRUCTIONS, "sft"), (GENERAL, "sft"), (PREFERENCES, "dpo")]
)
def test_each_format_passes_and_is_counted(tmp_path: Path, examples: list[object], method: str) -> None:
    checked = check_training_file(write_jsonl(tmp_path / "d.jsonl", examples), method)
    assert isinstance(checked, TrainingSummary)
    assert checked.examples == len(examples) and checked.tokens > 5 * len(examples)


def _turns(*roles: str) -> dict[str, object]:
    return {"messages": [{"role": role, "content": f"{role} says hi"} for role in roles]}


@pytest.mark.parametrize(
    ("line", "method", "says"),
    [
        (_turns("user", "user", "assistant"), "sft", "alternate"),
        (_turns("user", "system", "assistant"), "sft", "system message may only come first"),
        (_turns("system", "user"), "sft", "at least one assistant"),
        (_turns("user", "tool"), "sft", "role 'tool'"),
        ({"prompt": "p", "completion": 3}, "sft", "must both be strings"),
        ({"text": "t"}, "dpo", "needs preference data"),
        (PREFERENCES[0], "sft", "not preference"),
        ({**PREFERENCES[0], "preferred_output": []}, "dpo", "'preferred_output' must be a list of one"),
        ({"question": "q"}, "sft", "no known format"),
        ([1, 2], "sft", "not a JSON object"),
    ],
)
def test_a_bad_line_is_named(tmp_path: Path, line: object, method: str, says: str) -> None:
    checked = check_training_file(write_jsonl(tmp_path / "d.jsonl", [line]), method)
    assert isinstance(checked, FileProblem)
    assert checked.message.startswith("Line 1") and says in checked.message


def test_one_format_per_file_and_no_empty_file(tmp_path: Path) -> None:
    mixed = check_training_file(write_jsonl(tmp_path / "m.jsonl", [*GENERAL[:2], INSTRUCTIONS[0]]), "sft")
    assert isinstance(mixed, FileProblem) and mixed.message.startswith("Line 3 is in the instruction format")
    (tmp_path / "e.jsonl").write_text("")
    assert isinstance(check_training_file(tmp_path / "e.jsonl", "sft"), FileProblem)
    (tmp_path / "b.jsonl").write_text('{"text": "ok"}\n{not json\n')
    broken = check_training_file(tmp_path / "b.jsonl", "sft")
    assert isinstance(broken, FileProblem) and "Line 2 is not valid JSON" in broken.message
