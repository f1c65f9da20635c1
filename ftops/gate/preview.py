"""What a plan says about each gate before anything is asked: the cases, the smallest regression
they can detect, and what sampling the candidate will cost.

Built with the planner's other file inputs (``ftops.apply.inputs``), so the planner itself stays
pure: it only reads these values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from ftops.provider.registry import naming_of
from ftops.resources import Gate, Project, empty_mapping

if TYPE_CHECKING:
    from ftops.evals.collect import Work


@dataclass(frozen=True, slots=True)
class EvalPreview:
    name: str
    cases: int
    samples: int
    detectable: float  # the smallest regression this many cases can detect
    requests: int  # answers a candidate is asked for
    usd: float | None  # at most, for a candidate without any cached answer; None: no known price
    cached: Mapping[str, int] = field(default_factory=empty_mapping)  # model id -> answers in the cache
    # At most what the grader's rubric grades cost, against a baseline and with none (a name's first
    # model); 0 without rubric cases, None when the grader has no known price. Cached grades are
    # not subtracted: the answers they grade are not known before the candidate answers.
    grading_usd: float | None = 0.0
    grading_usd_first: float | None = 0.0

    def usd_for(self, model: str | None, *, baseline: bool = True) -> float | None:
        """Sampling, with the answers already cached for ``model`` subtracted, plus grading."""
        grading = self.grading_usd if baseline else self.grading_usd_first
        if self.usd is None or grading is None:
            return None
        if self.requests == 0:
            return self.usd + grading
        missing = self.requests - (self.cached.get(model, 0) if model else 0)
        return self.usd * max(0, missing) / self.requests + grading

    @property
    def graded(self) -> bool:
        return self.grading_usd != 0.0


@dataclass(frozen=True, slots=True)
class GatePreview:
    gate: Gate
    evals: tuple[EvalPreview, ...]

    def usd_for(self, model: str | None, *, baseline: bool = True) -> float | None:
        total = 0.0
        for one in self.evals:
            usd = one.usd_for(model, baseline=baseline)
            if usd is None:
                return None
            total += usd
        return total


def preview_gates(project: Project) -> Mapping[str, GatePreview]:
    """Each gated model name's preview; the eval files are read (errors raise with their lines)."""
    from ftops.evals.costs import estimate
    from ftops.evals.record import name_works
    from ftops.gate.statistics import smallest_detectable_regression

    out: dict[str, GatePreview] = {}
    for name, spec in sorted(project.models.items()):
        if spec.gate is None:
            continue
        job = project.jobs.get(spec.job) if spec.job is not None else None
        # Priced as a fine-tune of the job's base model (the candidate is not known before it
        # trains), or as the pinned model itself.
        priced_as = (naming_of(project.provider.type).fine_tuned_example(job.model) if job is not None
                     else spec.model or "unknown")
        previews = []
        for eval_name, work in zip(spec.gate.evals, name_works(project, name, None), strict=True):
            cost = estimate(priced_as, ((case, work.samples) for case in work.cases), work.params,
                            project.chat_pricing)
            previews.append(EvalPreview(
                eval_name, len(work.cases), work.samples, smallest_detectable_regression(len(work.cases)),
                cost.requests, cost.usd, MappingProxyType(_cached(project, work)),
                _grading(project, work, against_baseline=True),
                _grading(project, work, against_baseline=False),
            ))
        out[name] = GatePreview(spec.gate, tuple(previews))
    return MappingProxyType(out)


def _grading(project: Project, work: Work, *, against_baseline: bool) -> float | None:
    """At most what grading the eval's rubric cases costs (``ftops.evals.rubric.grading_estimate``)."""
    from ftops.evals.rubric import grading_estimate

    if work.grader is None or not any(case.expect.rubric for case in work.cases):
        return 0.0
    per_sample = 2 if against_baseline else 1
    return grading_estimate(work.grader, work, per_sample, project.chat_pricing).usd


def _cached(project: Project, work: Work) -> dict[str, int]:
    """How many of this eval's answers each model already has in the answer cache."""
    from ftops.evals.answers import AnswerLog, Header
    from ftops.evals.recordings import answers_dir

    folder = answers_dir(project.root)
    if not folder.is_dir():
        return {}
    out: dict[str, int] = {}
    for path in sorted(folder.glob("*.jsonl")):
        try:
            with path.open("rb") as stream:
                model = json.loads(stream.readline()).get("model")
        except (OSError, ValueError, AttributeError):
            continue
        if not isinstance(model, str):
            continue
        log = AnswerLog(path, Header(model, "", "", ""))
        out[model] = work.samples * len(work.cases) - len(work.missing(log))
    return out
