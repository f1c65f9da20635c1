"""``ftops record``: ask the model behind a name every case of its evals, and keep the answers.

A recording is the only exact record of how a model answered once the service
has shut it down, so it is written as the answers arrive, append-only, under
``recordings/`` (for git); a second run asks only for what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ftops.datasets.models import base_model
from ftops.errors import BudgetExceededError, InputError, UsageError
from ftops.evals.answers import AnswerLog, Header
from ftops.evals.cases import read_eval_file
from ftops.evals.collect import Collected, Work, collect, plan_cost
from ftops.evals.costs import ChatPrices, CostEstimate, sum_costs
from ftops.evals.recordings import recording_path
from ftops.evals.sampling import DEFAULT_CONCURRENCY, SamplingParams
from ftops.plan.records import StateRecords
from ftops.resources import Project

if TYPE_CHECKING:
    from ftops.provider import Provider


@dataclass(frozen=True, slots=True)
class RecordTarget:
    name: str
    model_id: str
    base_model: str
    path: Path
    works: tuple[Work, ...]


@dataclass(frozen=True, slots=True)
class Recorded:
    target: RecordTarget
    collected: Collected


def name_works(project: Project, name: str, samples: int | None) -> tuple[Work, ...]:
    """The works of a name's gate evals, each file read and checked (errors raise with their lines)."""
    from ftops.manifest.loader import display_path

    spec = project.models[name]
    if spec.gate is None:
        raise UsageError(f"models.{name} has no gate.evals to record",
                         hint=f"Declare models.{name}.gate.evals, or pass --prompts FILE.")
    works = []
    for eval_name in spec.gate.evals:
        suite = project.evals[eval_name]
        read = read_eval_file(suite.path, display_path(suite.path))
        read.raise_for_errors(display_path(suite.path))
        if suite.grader is None:
            from ftops.evals.cases import rubric_without_grader

            problems = rubric_without_grader(read.cases, display_path(suite.path), eval_name)
            if problems:
                raise InputError(f"{display_path(suite.path)}: cases with a rubric, and no grader", problems)
        works.append(Work(read.cases, SamplingParams.of(suite), samples or suite.samples, read.file_hash,
                          suite.grader))
    return tuple(works)


def prompt_works(path: Path, samples: int | None) -> tuple[Work, ...]:
    from ftops.manifest.loader import display_path

    read = read_eval_file(path, display_path(path), expectations=False)
    read.raise_for_errors(display_path(path))
    return (Work(read.cases, SamplingParams(), samples or 1),)


def targets(project: Project, records: StateRecords, names: Sequence[str], *,
            prompts: Path | None = None, samples: int | None = None) -> list[RecordTarget]:
    out = []
    for name in names:
        if name not in project.models:
            raise UsageError(f"no model name {name!r} in the manifests")
        record = records.models.get(name)
        if record is None:
            raise UsageError(f"models.{name} points at no model yet: nothing to record")
        job = next((j for j in records.jobs.values() if j.job_id == record.job_id), None)
        works = prompt_works(prompts, samples) if prompts is not None else name_works(project, name, samples)
        out.append(RecordTarget(name, record.model_id, job.base_model if job else base_model(record.model_id),
                                recording_path(project.root, name, record.model_id), works))
    return out


def open_log(target: RecordTarget, provider: str) -> AnswerLog:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return AnswerLog(target.path, Header(target.model_id, provider, target.base_model, now, target.name))


def estimate_all(chosen: Sequence[RecordTarget], provider: str,
                 prices: ChatPrices | None = None) -> CostEstimate:
    return sum_costs(plan_cost(t.model_id, t.works, open_log(t, provider), prices) for t in chosen)


def check_budget(project: Project, cost: CostEstimate, what: str) -> None:
    if project.budget is not None and cost.usd is not None and cost.usd > project.budget.max_usd:
        where = f" ({project.budget.declared_at})" if project.budget.declared_at else ""
        raise BudgetExceededError(f"{what} would cost at most ${cost.usd:.4f}, above the budget of "
                                  f"${project.budget.max_usd:g}{where}",
                                  hint="Record fewer cases or samples (--samples), or raise the budget.")


def record_all(provider_client: Provider, chosen: Sequence[RecordTarget], provider: str, *,
               concurrency: int = DEFAULT_CONCURRENCY,
               progress: Callable[[str, int], None] | None = None) -> list[Recorded]:
    out = []
    for target in chosen:
        log = open_log(target, provider)
        tick = None if progress is None else (lambda n, name=target.name: progress(name, n))
        collected = collect(provider_client, target.model_id, target.works, log, concurrency=concurrency,
                            on_answer=tick)
        out.append(Recorded(target, collected))
    return out
