"""Views of an evaluation: text for people, JSON for tools, markdown for a pull-request comment."""

from __future__ import annotations

from typing import Any, Final

from ftops.gate.evaluate import EvalOutcome
from ftops.gate.workflow import Evaluation

_SHOWN_REGRESSIONS: Final = 10


def _baseline_label(ev: Evaluation) -> str:
    if ev.baseline is None:
        return "no baseline (the name's first model: min_score only)"
    if ev.against == "recording":
        return f"the recording of {ev.baseline} ({ev.recording})"
    return ev.baseline


def _interval(o: EvalOutcome) -> str:
    c = o.comparison
    if c is None:
        return "-"
    return f"{c.difference:+.3f} [{c.lower:+.3f}, {c.upper:+.3f}]"


def _cost(ev: Evaluation) -> str:
    usd = f"${ev.usd:.4f}" if ev.usd is not None else "cost unknown"
    grades = f", {ev.grades_asked} rubric grade(s) asked" if ev.grades_asked else ""
    return (f"{ev.asked} answer(s) asked, {ev.cache_hits} from the cache{grades}; "
            f"{ev.prompt_tokens + ev.completion_tokens:,} tokens, {usd}")


def _why(o: EvalOutcome, ev: Evaluation) -> str:
    if o.below_floor and ev.min_score is not None:
        return f"score {o.candidate_score:.3f} is below min_score {ev.min_score:g}"
    c = o.comparison
    if c is None:
        return "no baseline"
    if o.verdict.value == "PASS":
        return f"lower bound {c.lower:+.3f} > -{ev.margin:g}"
    if o.verdict.value == "FAIL":
        return f"upper bound {c.upper:+.3f} < -{ev.margin:g}"
    return (f"the interval spans -{ev.margin:g}; {o.n} cases detect regressions of {o.detectable:.3f} "
            "at best")


def text(ev: Evaluation) -> str:
    what = "pending candidate" if ev.candidate_is_pending else "current model"
    floor = f", min_score {ev.min_score:g}" if ev.min_score is not None else ""
    lines = [f"models.{ev.name}: {what} {ev.candidate}", f"  against {_baseline_label(ev)}",
             f"  margin {ev.margin:g}{floor}", ""]
    for o in ev.outcomes:
        base = f"{o.baseline_score:.3f}" if o.baseline_score is not None else "-"
        lines.append(f"  evals.{o.eval_name}: {o.n} cases, baseline {base}, "
                     f"candidate {o.candidate_score:.3f}, difference {_interval(o)}: "
                     f"{o.verdict.value} ({_why(o, ev)})")
        for case in o.regressions[:_SHOWN_REGRESSIONS]:
            reason = f": the answer {case.reason}" if case.reason else ""
            lines.append(f"    pass -> fail  {case.case_id}{reason}")
        if len(o.regressions) > _SHOWN_REGRESSIONS:
            lines.append(f"    ... and {len(o.regressions) - _SHOWN_REGRESSIONS} more")
    lines += ["", f"  {_cost(ev)}", f"Verdict: {ev.verdict.value}"]
    return "\n".join(lines) + "\n"


def to_json(ev: Evaluation) -> dict[str, Any]:
    return {
        "name": ev.name, "candidate": ev.candidate, "candidate_is_pending": ev.candidate_is_pending,
        "baseline": ev.baseline, "against": ev.against, "recording": ev.recording, "margin": ev.margin,
        "min_score": ev.min_score, "verdict": ev.verdict.value,
        "evals": [
            {
                "eval": o.eval_name, "cases": o.n, "candidate_score": o.candidate_score,
                "baseline_score": o.baseline_score,
                "difference": o.comparison.difference if o.comparison else None,
                "interval": [o.comparison.lower, o.comparison.upper] if o.comparison else None,
                "method": o.comparison.method if o.comparison else None,
                "below_min_score": o.below_floor, "verdict": o.verdict.value,
                "smallest_detectable_regression": o.detectable,
                "regressions": [{"case": c.case_id, "score": c.score, "reason": c.reason}
                                for c in o.regressions],
            }
            for o in ev.outcomes
        ],
        "answers_asked": ev.asked, "cache_hits": ev.cache_hits, "grades_asked": ev.grades_asked,
        "prompt_tokens": ev.prompt_tokens,
        "completion_tokens": ev.completion_tokens, "usd": ev.usd,
    }


def markdown(ev: Evaluation) -> str:
    icon = {"PASS": "✅", "FAIL": "❌", "INCONCLUSIVE": "⚠️"}
    lines = [f"### ftops eval `models.{ev.name}`: {icon[ev.verdict.value]} {ev.verdict.value}", "",
             f"Candidate `{ev.candidate}` against {_baseline_label(ev)}, margin {ev.margin:g}.", "",
             "| eval | cases | baseline | candidate | difference [95% interval] | verdict |",
             "|---|---|---|---|---|---|"]
    for o in ev.outcomes:
        base = f"{o.baseline_score:.3f}" if o.baseline_score is not None else "-"
        lines.append(f"| `{o.eval_name}` | {o.n} | {base} | {o.candidate_score:.3f} | {_interval(o)} | "
                     f"{icon[o.verdict.value]} {o.verdict.value} |")
    failing = [(o.eval_name, c) for o in ev.outcomes for c in o.regressions]
    if failing:
        lines += ["", "<details><summary>Cases that went from pass to fail</summary>", ""]
        lines += [f"- `{e}` {c.case_id}: {c.reason}" for e, c in failing[:50]]
        lines += ["", "</details>"]
    lines += ["", _cost(ev) + "."]
    return "\n".join(lines) + "\n"
