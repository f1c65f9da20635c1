"""The answer log: append-only, first answer stands, a torn last line loses nothing before it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftops.errors import InputError
from ftops.evals.answers import AnswerLog, Header, safe_file_name
from ftops.evals.sampling import Answer, SamplingParams

HEADER = Header("ft:gpt-4o-mini-2024-07-18:org:chunsik:abc", "emulator", "gpt-4o-mini-2024-07-18",
                "2026-11-24T00:00:00Z", "chunsik")
PARAMS = SamplingParams(temperature=0.0, seed=0, max_tokens=64)


def _answer(text: str) -> Answer:
    return Answer(text, "stop", 10, 3, 0.25)


def test_answers_survive_a_reopen_and_are_never_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "recordings" / "chunsik" / "x.jsonl"
    log = AnswerLog(path, HEADER)
    assert log.append(PARAMS, "sha256:a", "who", 0, _answer("Ryan's cat"))
    assert not log.append(PARAMS, "sha256:a", "who", 0, _answer("something else"))
    again = AnswerLog(path, HEADER)
    assert again.get(PARAMS, "sha256:a", 0) == _answer("Ryan's cat")
    assert again.get(SamplingParams(temperature=1.0), "sha256:a", 0) is None
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and '"name": "chunsik"' in lines[0]


def test_a_torn_last_line_is_skipped_and_sealed_off(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    log = AnswerLog(path, HEADER)
    log.append(PARAMS, "sha256:a", "a", 0, _answer("one"))
    with path.open("ab") as stream:
        stream.write(b'{"params": {"temperature": 0.0, "seed": 0, "max_tokens": 64}, "case": "sha256:b", ')
    reopened = AnswerLog(path, HEADER)
    assert reopened.get(PARAMS, "sha256:b", 0) is None
    assert reopened.append(PARAMS, "sha256:b", "b", 0, _answer("two"))
    final = AnswerLog(path, HEADER)
    assert final.get(PARAMS, "sha256:a", 0) == _answer("one")
    assert final.get(PARAMS, "sha256:b", 0) == _answer("two")


def test_a_file_of_another_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    AnswerLog(path, HEADER).append(PARAMS, "sha256:a", "a", 0, _answer("one"))
    other = Header("gpt-4.1-mini", "openai", "gpt-4.1-mini", "2026-11-24T00:00:00Z")
    with pytest.raises(InputError, match="holds answers of ft:gpt-4o-mini"):
        AnswerLog(path, other)


def test_model_ids_become_safe_file_names() -> None:
    assert safe_file_name("ft:gpt-4o-mini:org:chunsik:abc") == "ft_gpt-4o-mini_org_chunsik_abc"
