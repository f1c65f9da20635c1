"""The gate at promotion time: ``apply`` moves a name only on a passing (or accepted) verdict.

Runs after the job succeeded and the checks passed. A verdict ``ftops eval``
reached for exactly this candidate, these eval files and graders, this baseline,
margin and confidence is reused as it is (``verdicts``), and says so; otherwise
the candidate is judged, its answers coming from the answer cache where
``ftops eval`` already asked them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from ftops.apply.errors import GateRefusedError
from ftops.gate.statistics import Verdict
from ftops.gate.workflow import Evaluation, judge_candidate
from ftops.resources import Project

if TYPE_CHECKING:
    from ftops.provider import Provider

# (name, candidate model, model the name points at now) -> the verdict to keep in the state
GateCheck = Callable[[str, str, "str | None"], "Mapping[str, Any] | None"]
_CASES_NAMED: Final = 5


def promotion_gate(project: Project, provider: Provider, provider_name: str, *,
                   accept_inconclusive: frozenset[str], who: str,
                   say: Callable[[str], None],
                   baseline_provider: Callable[[str], Provider] | None = None) -> GateCheck:
    """``baseline_provider``: by name, where the name's current model answers when it is not on
    ``provider`` (a move between services: ftops.multi)."""

    def check(name: str, candidate: str, current_id: str | None) -> Mapping[str, Any] | None:
        spec = project.models.get(name)
        if spec is None or spec.gate is None:
            return None
        result = judge_candidate(project, provider, provider_name, name, candidate, current_id, say=say,
                                 reuse_verdict=True,
                                 baseline_provider=baseline_provider(name) if baseline_provider else None)
        accepted = result.verdict is Verdict.INCONCLUSIVE and name in accept_inconclusive
        summary = "; ".join(_eval_summary(result, i) for i in range(len(result.outcomes)))
        if result.reused_from is not None:
            summary += f" (verdict from ftops eval at {result.reused_from})"
        if result.verdict is Verdict.PASS or accepted:
            say(f"models.{name}: gate {result.verdict.value}{' (accepted)' if accepted else ''}: {summary}")
            return verdict_record(result, accepted_by=who if accepted else None)
        keeps = f"; models.{name} keeps {current_id}" if current_id else ""
        failing = [c.case_id for o in result.outcomes for c in o.regressions]
        if not failing:
            failing = [f"{o.eval_name} scored {o.candidate_score:.3f}"
                       for o in result.outcomes if o.below_floor]
        shown = ", ".join(failing[:_CASES_NAMED]) + (" ..." if len(failing) > _CASES_NAMED else "")
        hint = f"Failing: {shown}. `ftops eval {name}` shows every case." if shown else \
            f"`ftops eval {name}` shows every case."
        if result.verdict is Verdict.INCONCLUSIVE:
            hint += (f" To promote it anyway, apply with --accept-inconclusive {name} (kept in the state "
                     "with who and when), or add cases to the evals.")
        raise GateRefusedError(f"models.{name}: the gate says {result.verdict.value} for {candidate}: "
                               f"{summary}{keeps}", hint=hint,
                               verdict=verdict_record(result, accepted_by=None))

    return check


def _eval_summary(result: Evaluation, index: int) -> str:
    o = result.outcomes[index]
    below = o.below_floor and result.min_score is not None
    floor = f", below min_score {result.min_score:g}" if below else ""
    if o.comparison is None:
        return f"evals.{o.eval_name} {o.candidate_score:.3f} (no baseline{floor})"
    c = o.comparison
    return (f"evals.{o.eval_name} {c.baseline_score:.3f} -> {c.candidate_score:.3f}, difference "
            f"{c.difference:+.3f} [{c.lower:+.3f}, {c.upper:+.3f}], margin {result.margin:g}{floor}: "
            f"{o.verdict.value}")


def verdict_record(result: Evaluation, *, accepted_by: str | None) -> dict[str, Any]:
    """What the state keeps of the verdict that moved a name (``ftops status`` shows it)."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    record: dict[str, Any] = {
        "verdict": result.verdict.value, "candidate": result.candidate, "baseline": result.baseline,
        "against": result.against, "margin": result.margin, "decided_at": now,
        "evals": {name: digest for name, digest in result.eval_hashes},
        "scores": {o.eval_name: {"candidate": o.candidate_score, "baseline": o.baseline_score}
                   for o in result.outcomes},
    }
    if result.reused_from is not None:
        record["evaluated_by"] = "ftops eval"
        record["evaluated_at"] = result.reused_from
    if accepted_by is not None:
        record["accepted_by"] = accepted_by
        record["accepted_at"] = now
    return record
