"""Verdicts ``ftops eval`` reached, kept so that ``apply`` reuses one instead of judging again.

A verdict is kept beside the answer cache (``verdicts/NAME.jsonl`` in the cache folder), under a
key made of everything it depends on: the candidate model, the baseline (its model id, and the
hash of the recording's file when the baseline is a recording), each eval's file hash, sampling
parameters and grader (model and prompts), the margin, min_score and the confidence of the
interval. ``apply`` reuses a verdict only when every part of the key is the same; any change (an
edited case, another grader prompt, a recording with more answers) judges again. The file is
append-only JSONL; the last verdict under a key wins, and a torn or foreign line is skipped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ftops.evals.answers import safe_file_name
from ftops.evals.cases import digest
from ftops.gate.evaluate import CaseScore, EvalOutcome
from ftops.gate.statistics import CONFIDENCE, Comparison, Verdict

if TYPE_CHECKING:
    from ftops.evals.collect import Work
    from ftops.gate.workflow import Evaluation

FORMAT: Final = 1


@dataclass(frozen=True, slots=True)
class Reused:
    """A verdict found for exactly this judgement, and when ``ftops eval`` reached it."""

    evaluation: Evaluation
    decided_at: str


def verdicts_path(root: Path, name: str) -> Path:
    from ftops.evals.recordings import answers_dir

    return answers_dir(root).parent / "verdicts" / f"{safe_file_name(name)}.jsonl"


def verdict_key(name: str, candidate: str, against: str, baseline: str | None, recording: Path | None,
                works: Mapping[str, Work], margin: float, min_score: float | None) -> str:
    """The digest of everything a verdict depends on (see the module's docstring)."""
    evals = {
        eval_name: {
            "file": work.file_hash, "samples": work.samples, "params": work.params.to_json(),
            "grader": None if work.grader is None else
            {"model": work.grader.model, "prompt": work.grader.prompt,
             "pairwise_prompt": work.grader.pairwise_prompt},
        }
        for eval_name, work in works.items()
    }
    return digest({
        "format": FORMAT, "name": name, "candidate": candidate, "against": against, "baseline": baseline,
        "recording": _file_hash(recording) if recording is not None else None, "evals": evals,
        "margin": margin, "min_score": min_score, "confidence": CONFIDENCE,
    })


def _file_hash(path: Path) -> str:
    whole = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            whole.update(block)
    return "sha256:" + whole.hexdigest()


def keep(root: Path, key: str, evaluation: Evaluation) -> None:
    """Append the verdict under its key (flushed, so a later apply finds it)."""
    path = verdicts_path(root, evaluation.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = {"key": key, "decided_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "evaluation": asdict(evaluation)}
    with path.open("a", encoding="utf-8") as stream:
        stream.write(json.dumps(line, sort_keys=True) + "\n")
        stream.flush()


def find(root: Path, name: str, key: str) -> Reused | None:
    """The last verdict kept under ``key`` for the name, or None."""
    path = verdicts_path(root, name)
    if not path.is_file():
        return None
    found: Reused | None = None
    with path.open("r", encoding="utf-8") as stream:
        for raw in stream:
            try:
                line = json.loads(raw)
                if line.get("key") == key:
                    found = Reused(_evaluation(line["evaluation"]), str(line["decided_at"]))
            except (ValueError, KeyError, TypeError, AttributeError):
                continue  # a torn last line, or one this version cannot read: judged again
    return found


def _evaluation(data: Mapping[str, Any]) -> Evaluation:
    from ftops.gate.workflow import Evaluation

    return Evaluation(
        name=data["name"], candidate=data["candidate"], candidate_is_pending=data["candidate_is_pending"],
        baseline=data["baseline"], against=data["against"], recording=data["recording"],
        margin=float(data["margin"]), min_score=data["min_score"],
        outcomes=tuple(_outcome(o) for o in data["outcomes"]), verdict=Verdict(data["verdict"]),
        asked=int(data["asked"]), cache_hits=int(data["cache_hits"]),
        prompt_tokens=int(data["prompt_tokens"]), completion_tokens=int(data["completion_tokens"]),
        usd=data["usd"],
        eval_hashes=tuple((str(n), str(h)) for n, h in data["eval_hashes"]),
        grades_asked=int(data["grades_asked"]),
    )


def _outcome(data: Mapping[str, Any]) -> EvalOutcome:
    raw = data["comparison"]
    comparison = None if raw is None else Comparison(**{**raw, "verdict": Verdict(raw["verdict"])})
    regressions: Sequence[Mapping[str, Any]] = data["regressions"]
    return EvalOutcome(
        eval_name=data["eval_name"], candidate_score=float(data["candidate_score"]),
        baseline_score=data["baseline_score"], comparison=comparison, below_floor=bool(data["below_floor"]),
        verdict=Verdict(data["verdict"]), regressions=tuple(CaseScore(**c) for c in regressions),
        n=int(data["n"]), detectable=float(data["detectable"]),
    )
