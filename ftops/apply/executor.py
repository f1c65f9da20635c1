"""The executor: carry out a plan's changes in dependency order, several at a time.

It acts only on ``Change.steps`` (``reason`` is for people). A change starts once
every change it depends on is done; independent changes (uploads above all) run
in parallel, up to ``parallelism``. When a change fails, nothing new starts,
what is running finishes, and the changes that depended on it are reported as
skipped. A promotion whose job has not finished is left pending (without
``--wait``), and so are the prunes that depend on it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent import futures
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from ftops.apply.deployments import Deployer
from ftops.apply.journal import StateJournal
from ftops.apply.progress import Reporter
from ftops.apply.steps import StepOutcome, StepRunner
from ftops.apply.waiting import WaitOptions
from ftops.errors import FtopsError
from ftops.plan.model import Change, Plan
from ftops.provider import Provider
from ftops.resources import Project

DEFAULT_PARALLELISM = 4

Gate = Callable[[str, str, str | None], Mapping[str, Any] | None]


@dataclass(frozen=True)
class Route:
    """Where the changes of one provider alias go (``Change.provider``; ftops.multi): its
    provider, the journal of its part of the state, its promotion gate."""

    provider: Provider
    journal: StateJournal
    gate: Gate | None = None
    reporter: Reporter | None = None  # None: the run's own


class Status(Enum):
    DONE = "done"
    PENDING = "pending"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class Outcome:
    key: str
    address: str
    status: Status
    message: str = ""
    error: FtopsError | None = None


@dataclass(frozen=True)
class ApplyResult:
    outcomes: tuple[Outcome, ...]
    requests: int  # API requests made during the apply
    mutating_requests: int
    state_writes: int

    def of(self, status: Status) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status is status)

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return self.of(Status.FAILED)

    @property
    def pending(self) -> tuple[Outcome, ...]:
        return self.of(Status.PENDING)

    @property
    def left_for_later(self) -> tuple[str, ...]:
        """Keys of the changes a later phase may finish: pending promotions and what waits for them."""
        return tuple(o.key for o in self.outcomes if o.status in (Status.PENDING, Status.SKIPPED))

    def then(self, later: ApplyResult) -> ApplyResult:
        """This result followed by ``later`` (``apply --wait``'s second phase): a change run
        again has its later outcome; requests and writes add up."""
        outcomes = {o.key: o for o in self.outcomes}
        outcomes.update((o.key, o) for o in later.outcomes)
        return ApplyResult(
            outcomes=tuple(outcomes.values()),
            requests=self.requests + later.requests,
            mutating_requests=self.mutating_requests + later.mutating_requests,
            state_writes=self.state_writes + later.state_writes,
        )

    def done_by_another_run(self, keys: Collection[str]) -> ApplyResult:
        """The changes ``keys`` were found done, by a run that held the lock while this one waited."""
        outcomes = tuple(
            Outcome(o.key, o.address, Status.DONE, "done by another run meanwhile") if o.key in keys else o
            for o in self.outcomes
        )
        return replace(self, outcomes=outcomes)

    def failing(self, keys: Collection[str], error: FtopsError) -> ApplyResult:
        """The changes ``keys`` failed with ``error`` (e.g. the state changed while waiting)."""
        outcomes = tuple(
            Outcome(o.key, o.address, Status.FAILED, str(error), error) if o.key in keys else o
            for o in self.outcomes
        )
        return replace(self, outcomes=outcomes)


class _Graph:
    """Which changes each change waits for, resolved to keys of changes in this plan."""

    def __init__(self, changes: Sequence[Change]) -> None:
        self.changes = {c.key: c for c in changes}
        self.deps: dict[str, set[str]] = {}
        for key, change in self.changes.items():
            # A dependency on a change without steps (or not in the plan) is already satisfied.
            self.deps[key] = {d for d in change.depends_on if d in self.changes and d != key}


def _schedule(
    graph: _Graph,
    pool: ThreadPoolExecutor,
    run_change: Callable[[str], Outcome],
    outcomes: dict[str, Outcome],
    stop: threading.Event,
) -> None:
    """Start each change once its dependencies are done; skip those whose dependency did not
    finish; after a failure start nothing new and end the waits in flight (their jobs keep
    running; the next apply picks them up). Fills ``outcomes``."""
    started: set[str] = set()
    running: dict[Future[Outcome], str] = {}
    stopping = False
    while True:
        progressed = False
        for key, deps in graph.deps.items():
            if key in started:
                continue
            blocked = [d for d in deps if d in outcomes and outcomes[d].status is not Status.DONE]
            if blocked:
                started.add(key)
                progressed = True
                cause = outcomes[blocked[0]]
                outcomes[key] = Outcome(
                    key, graph.changes[key].address, Status.SKIPPED,
                    f"waits for {cause.address} ({cause.status.value})",
                )
                continue
            if not stopping and all(d in outcomes for d in deps):
                started.add(key)
                progressed = True
                running[pool.submit(run_change, key)] = key
        if not running:
            if progressed:
                continue  # skips may cascade further; look again
            return  # done, stopping, or a dependency cycle (reported as skipped by the caller)
        finished, _ = futures.wait(running, return_when=FIRST_COMPLETED)
        for future in finished:
            running.pop(future)
            outcome = future.result()
            outcomes[outcome.key] = outcome
            if outcome.status is Status.FAILED:
                stopping = True  # the caller reports the failure itself
                stop.set()


def execute(
    plan: Plan,
    *,
    provider: Provider,
    journal: StateJournal,
    project: Project,
    reporter: Reporter,
    wait: WaitOptions | None = None,
    parallelism: int = DEFAULT_PARALLELISM,
    gate: Gate | None = None,
    routes: Mapping[str, Route] | None = None,
    deployer: Deployer | None = None,
) -> ApplyResult:
    """Run every actionable change of ``plan``; never raises for a step's failure (see the result).
    ``routes``: a change with a ``provider`` alias runs through that alias's route. ``deployer``:
    the default provider's deployments (Azure), when the plan deploys."""
    everyone = list({id(p): p for p in [provider, *(r.provider for r in (routes or {}).values())]}.values())
    counted: list[Any] = [*everyone, deployer.manager] if deployer is not None else everyone
    start_requests = sum(p.request_count for p in counted)
    start_mutating = sum(p.mutating_request_count for p in counted)
    start_writes = journal.writes
    stop = threading.Event()
    runner = StepRunner(provider, journal, project, reporter, wait, stop=stop, gate=gate, deployer=deployer)
    if deployer is not None:
        deployer.stop = stop
    runners = {alias: StepRunner(r.provider, r.journal, project, r.reporter or reporter, wait, stop=stop,
                                 gate=r.gate)
               for alias, r in (routes or {}).items()}
    graph = _Graph([c for c in plan.changes if c.steps])
    outcomes: dict[str, Outcome] = {}

    def run_change(key: str) -> Outcome:
        change = graph.changes[key]
        if change.provider is not None and change.provider not in runners:
            failure = FtopsError(f"{change.address}: the plan names provider alias {change.provider!r}, "
                                 "which this run has not opened")
            return Outcome(key, change.address, Status.FAILED, str(failure), failure)
        runner_ = runners[change.provider] if change.provider is not None else runner
        try:
            for step in change.steps:
                if runner_.run(step) is StepOutcome.PENDING:
                    return Outcome(key, change.address, Status.PENDING, "waits for its job to finish")
        except FtopsError as error:
            return Outcome(key, change.address, Status.FAILED, str(error), error)
        except OSError as error:  # e.g. a dataset file removed since the plan was made
            # The file when the error names one (the state's own errors name theirs: ftops.state).
            where = f" ({error.filename})" if error.filename else ""
            failure = FtopsError(f"{change.address}: {error.strerror or error}{where}")
            return Outcome(key, change.address, Status.FAILED, str(failure), failure)
        return Outcome(key, change.address, Status.DONE)

    with ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="ftops-apply") as pool:
        try:
            _schedule(graph, pool, run_change, outcomes, stop)
        except BaseException:
            # Ctrl-C: start nothing new, end the waits, let in-flight requests finish and record
            # their results (so the state says what was done), then let the interrupt through.
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    failed = any(o.status is Status.FAILED for o in outcomes.values())
    for key, change in graph.changes.items():
        if key not in outcomes:
            why = "not started: an earlier change failed" if failed else "not started: a dependency cycle"
            outcomes[key] = Outcome(key, change.address, Status.SKIPPED, why)
    return ApplyResult(
        outcomes=tuple(outcomes[key] for key in graph.changes),
        requests=sum(p.request_count for p in counted) - start_requests,
        mutating_requests=sum(p.mutating_request_count for p in counted) - start_mutating,
        state_writes=journal.writes - start_writes,
    )
