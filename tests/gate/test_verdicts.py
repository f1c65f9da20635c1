"""Verdicts kept by ``ftops eval``: found again only under exactly the same key, read back whole."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from ftops.evals.collect import Work
from ftops.evals.sampling import SamplingParams
from ftops.gate import verdicts
from ftops.gate.evaluate import CaseScore, EvalOutcome
from ftops.gate.statistics import Comparison, Verdict
from ftops.gate.workflow import Evaluation
from ftops.resources import RubricGrader

WORK = Work((), SamplingParams(), 1, "sha256:cases", None)


def _evaluation() -> Evaluation:
    comparison = Comparison(1.0, 0.95, -0.05, -0.16, 0.04, 0.1, Verdict.INCONCLUSIVE, "newcombe", 40)
    outcome = EvalOutcome("facts", 0.95, 1.0, comparison, False, Verdict.INCONCLUSIVE,
                          (CaseScore("fact-3", 0.0, "does not contain 'Ryan'"),), 40, 0.088)
    return Evaluation("alpha", "ft:cand", True, "ft:old", "recording", "recordings/alpha/x.jsonl", 0.1, None,
                      (outcome,), Verdict.INCONCLUSIVE, 40, 0, 900, 300, 0.0012, (("facts", "sha256:cases"),),
                      2)


def _key(recording: Path | None = None, **changes: object) -> str:
    parts: dict[str, object] = {"name": "alpha", "candidate": "ft:cand", "against": "recording",
                                "baseline": "ft:old", "recording": recording, "works": {"facts": WORK},
                                "margin": 0.1, "min_score": None}
    parts.update(changes)
    return verdicts.verdict_key(**parts)  # type: ignore[arg-type]


def test_a_kept_verdict_is_read_back_whole_under_its_key(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTOPS_CACHE_DIR", str(tmp_path / "cache"))
    key = _key()
    assert verdicts.find(tmp_path, "alpha", key) is None
    verdicts.keep(tmp_path, key, _evaluation())
    with verdicts.verdicts_path(tmp_path, "alpha").open("a") as stream:
        stream.write('{"key": "' + key + '", "decided_at"')  # a run died mid-write
    found = verdicts.find(tmp_path, "alpha", key)
    assert found is not None and found.evaluation == _evaluation() and found.decided_at
    assert verdicts.find(tmp_path, "alpha", _key(margin=0.05)) is None


def test_every_part_of_the_judgement_is_in_the_key(tmp_path: Path) -> None:
    recording = tmp_path / "rec.jsonl"
    recording.write_text("header\nanswer 1\n")
    graded = replace(WORK, grader=RubricGrader("gpt-4.1-2025-04-14", "Grade.", "Compare."))
    keys = {
        _key(), _key(candidate="ft:other"), _key(against="current"), _key(baseline="ft:older"),
        _key(recording=recording), _key(works={"facts": replace(WORK, file_hash="sha256:edited")}),
        _key(works={"facts": replace(WORK, samples=3)}),
        _key(works={"facts": replace(WORK, params=SamplingParams(temperature=0.7))}),
        _key(works={"facts": graded}),
        _key(works={"facts": replace(graded, grader=RubricGrader("gpt-4.1-2025-04-14", "Grade.", "Pick."))}),
        _key(margin=0.05), _key(min_score=0.8),
    }
    assert len(keys) == 12
    with_more_answers = _key(recording=recording)
    recording.write_text("header\nanswer 1\nanswer 2\n")
    assert _key(recording=recording) != with_more_answers
