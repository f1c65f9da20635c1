"""``ftops eval``: judge a name's pending candidate (or its current model) against a baseline.

The candidate is the model of the name's job when it differs from the model the
name points at (a job that succeeded but has not been promoted), else the model
the name points at. Every answer asked is cached (``answers/`` in the cache folder)
by model, sampling parameters, case and sample, so an unchanged re-run asks
nothing, and a changed expectation only re-grades.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ftops.datasets.models import base_model
from ftops.errors import PlanError, UsageError
from ftops.evals.answers import AnswerLog, Header
from ftops.evals.collect import Collected, Work, collect, plan_cost
from ftops.evals.costs import ChatPrices, price_per_million, sum_costs
from ftops.evals.recordings import cache_path, recording_path
from ftops.evals.rubric import RubricJudge, grading_estimate
from ftops.evals.sampling import DEFAULT_CONCURRENCY
from ftops.gate.evaluate import EvalOutcome, judge, overall, scores_by_eval
from ftops.gate.statistics import Verdict
from ftops.resources import Project
from ftops.workflow import Settings, alias_of_address, load_project, session

if TYPE_CHECKING:
    from ftops.provider import Provider


@dataclass(frozen=True, slots=True)
class Evaluation:
    name: str
    candidate: str
    candidate_is_pending: bool
    baseline: str | None  # a model id, or None when there is no baseline (a name's first model)
    against: str  # current | recording | model
    recording: str | None  # the recording file, when the baseline is a recording
    margin: float
    min_score: float | None
    outcomes: tuple[EvalOutcome, ...]
    verdict: Verdict
    asked: int
    cache_hits: int
    prompt_tokens: int
    completion_tokens: int
    usd: float | None
    eval_hashes: tuple[tuple[str, str], ...] = ()  # (eval, hash of its cases and expectations)
    grades_asked: int = 0  # rubric grades asked of grader models (the others came from the cache)
    reused_from: str | None = None  # when ``ftops eval`` reached this verdict, if it is reused


def evaluate(settings: Settings, name: str, against: str | None = None, *,
             concurrency: int = DEFAULT_CONCURRENCY,
             say: Callable[[str], None] = lambda _: None) -> Evaluation:
    """``ftops eval NAME``: the pending candidate, else the model the name points at."""
    from ftops.plan.records import read_records

    project = load_project(settings)
    name = name.removeprefix("models.")
    spec = project.models.get(name)
    if spec is None:
        raise UsageError(f"no model name {name!r} in the manifests")
    with session(settings, "eval", project=project, lock=False) as current:
        records = read_records(current.read_state())
        current_id = records.models[name].model_id if name in records.models else None
        # A job on a provider alias is recorded as jobs.NAME@ALIAS (ftops.multi.partition).
        job_alias = project.jobs[spec.job].provider if spec.job is not None and spec.job in project.jobs \
            else None
        job_key = f"{spec.job}@{job_alias}" if job_alias is not None else spec.job
        job = records.jobs.get(job_key) if job_key is not None else None
        made = job.fine_tuned_model if job is not None and job.status == "succeeded" else None
        candidate = made if made is not None and made != current_id else current_id
        if candidate is None:
            raise UsageError(f"models.{name} has no model to evaluate yet: apply until its job succeeds")
        alias = (job_alias or "default") if candidate == made \
            else alias_of_address(project, settings, f"models.{name}")  # the candidate's provider
        kind = settings.provider or project.provider.type
        current_alias = alias_of_address(project, settings, f"models.{name}")
        return judge_candidate(project, current.provider_of(alias), kind, name, candidate, current_id,
                               against, concurrency=concurrency, say=say, keep_verdict=True,
                               baseline_provider=current.provider_of(current_alias))


def judge_candidate(project: Project, provider: Provider, provider_name: str, name: str, candidate: str,
                    current_id: str | None, against: str | None = None, *,
                    concurrency: int = DEFAULT_CONCURRENCY,
                    say: Callable[[str], None] = lambda _: None,
                    keep_verdict: bool = False, reuse_verdict: bool = False,
                    baseline_provider: Provider | None = None) -> Evaluation:
    """Judge ``candidate`` for the name on its gate's evals; answers come from the cache when there.

    ``keep_verdict`` (``ftops eval``) keeps the verdict under the key of everything it depends on;
    ``reuse_verdict`` (apply's gate) returns a verdict kept under exactly that key without judging.
    ``baseline_provider``: where the baseline model answers when it is not on ``provider`` (a name
    moving to another service: ftops.multi); default ``provider``."""
    from ftops.evals.record import check_budget, name_works
    from ftops.gate import verdicts

    spec = project.models[name]
    if spec.gate is None:
        raise UsageError(f"models.{name} has no gate to evaluate",
                         hint=f"Declare models.{name}.gate with the evals a new model is judged on.")
    gate = spec.gate
    works = dict(zip(gate.evals, name_works(project, name, None), strict=True))
    mode = against or gate.no_worse_than
    baseline = current_id if mode in ("current", "recording") else mode
    recording = _recording(project.root, name, current_id)
    if mode == "recording" and current_id is not None and recording is None:
        raise PlanError(f"models.{name}: there is no recording of {current_id} to compare with",
                        hint=f"Run ftops record {name} while {current_id} still answers.")
    # The recording is in the key whenever there is one: it is the baseline against `recording`, and
    # the reference of `similar: {recording: true}` against any baseline.
    key = verdicts.verdict_key(name, candidate, mode if mode in ("current", "recording") else "model",
                               baseline, recording.path if recording is not None else None, works,
                               gate.margin, gate.min_score)
    if reuse_verdict:
        kept = verdicts.find(project.root, name, key)
        if kept is not None:
            return replace(kept.evaluation, reused_from=kept.decided_at, asked=0, cache_hits=0,
                           grades_asked=0, prompt_tokens=0, completion_tokens=0, usd=0.0)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    live = [candidate] if mode == "recording" or baseline in (None, candidate) else [candidate, baseline]
    logs = {model: AnswerLog(cache_path(project.root, model),
                             Header(model, provider_name, base_model(model), now))
            for model in live if model is not None}
    graded = 1 if baseline is None or baseline == candidate else 2
    prices = project.chat_pricing
    grading = [grading_estimate(w.grader, w, graded, prices) for w in works.values() if w.grader is not None]
    answering = [plan_cost(model, list(works.values()), log, prices) for model, log in logs.items()]
    cost = sum_costs([*answering, *grading])
    say(f"Evaluating models.{name}: {cost.describe()}.")
    check_budget(project, cost, f"evaluating models.{name}")
    collected = {model: collect(baseline_provider if model != candidate and baseline_provider else provider,
                                model, list(works.values()), log, concurrency=concurrency)
                 for model, log in logs.items()}
    baseline_log = recording if mode == "recording" else logs.get(baseline) if baseline is not None else None
    rubrics = {eval_name: RubricJudge(work.grader, provider, project.root, provider_name)
               for eval_name, work in works.items()
               if work.grader is not None and any(c.expect.rubric for c in work.cases)}
    outcomes = _judge(works, logs[candidate], baseline_log, recording, name, gate.margin, gate.min_score,
                      rubrics)
    graders = list(rubrics.values())
    result = Evaluation(
        name=name, candidate=candidate, candidate_is_pending=candidate != current_id, baseline=baseline,
        against=mode if mode in ("current", "recording") else "model",
        recording=recording.path.as_posix() if recording is not None and mode == "recording" else None,
        margin=gate.margin, min_score=gate.min_score, outcomes=outcomes, verdict=overall(outcomes),
        asked=sum(c.asked for c in collected.values()), cache_hits=sum(c.reused for c in collected.values()),
        prompt_tokens=sum(c.prompt_tokens for c in collected.values())
        + sum(g.prompt_tokens for g in graders),
        completion_tokens=sum(c.completion_tokens for c in collected.values())
        + sum(g.completion_tokens for g in graders),
        usd=_spent(collected, graders, prices), eval_hashes=tuple((n, w.file_hash) for n, w in works.items()),
        grades_asked=sum(g.asked for g in graders),
    )
    if keep_verdict:
        verdicts.keep(project.root, key, result)
    return result


def _recording(root: Path, name: str, model_id: str | None) -> AnswerLog | None:
    """The recording of the model the name points at: a baseline, and the reference of
    ``similar: {recording: true}``."""
    if model_id is None:
        return None
    path = recording_path(root, name, model_id)
    return AnswerLog(path, Header(model_id, "", "", "", name)) if path.is_file() else None


def _judge(works: dict[str, Work], candidate: AnswerLog, baseline: AnswerLog | None,
           recording: AnswerLog | None, name: str, margin: float, min_score: float | None,
           rubrics: dict[str, RubricJudge]) -> tuple[EvalOutcome, ...]:
    # A pairwise rubric compares the candidate's answers with the baseline's; the baseline's own
    # answers, compared with themselves, tie without a request.
    cand = scores_by_eval(works, candidate, recording, rubrics, baseline)
    base = None
    if baseline is not None:
        try:
            base = scores_by_eval(works, baseline, recording, rubrics, baseline)
        except LookupError as missing:
            raise PlanError(f"models.{name}: the recording has no answer to case {missing.args[0]!r}",
                            hint=f"Run ftops record {name} to record the missing cases.") from None
    return tuple(judge(eval_name, cand[eval_name], base[eval_name] if base else None, margin, min_score)
                 for eval_name in works)


def _spent(collected: dict[str, Collected], graders: list[RubricJudge], prices: ChatPrices) -> float | None:
    """What the answers and grades asked cost, by each model's price; None when a model that was
    asked has no known price."""
    total = 0.0
    for judge_ in graders:
        price = price_per_million(judge_.grader.model, prices)
        if price is None:
            if judge_.asked:
                return None
            continue
        total += (judge_.prompt_tokens * price[0] + judge_.completion_tokens * price[1]) / 1_000_000
    for model, got in collected.items():
        price = price_per_million(model, prices)
        if price is None:
            if got.asked:
                return None
            continue
        total += (got.prompt_tokens * price[0] + got.completion_tokens * price[1]) / 1_000_000
    return total
