"""``apply --wait`` with the state lock released while its jobs train.

A fine-tuning job runs for minutes to hours on the service. Holding the state lock all that
time would block every other plan and apply of the project (a CI pipeline's next merge, a
colleague's `ftops plan`) for no reason: nothing is written while a job trains. So the apply
runs its plan without waiting (phase one, locked), releases the lock, waits here (read-only:
requests to the service, progress to the reporter, nothing stored), takes the lock back,
records how the jobs ended, and carries out what waited for them: the promotions, then the
prunes after them (phase two, locked). If another run wrote the state meanwhile, phase two
does only what a plan made then still has exactly as approved (``still_planned``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from types import MappingProxyType

from ftops.apply.errors import WaitInterrupted, WaitStopped
from ftops.apply.executor import ApplyResult
from ftops.apply.journal import StateJournal
from ftops.apply.progress import Reporter
from ftops.apply.waiting import WaitOptions, wait_for_job
from ftops.errors import FtopsError, StateConflictError, StateLockedError, UsageError
from ftops.plan.bookkeeping import after_job_seen
from ftops.plan.model import Change, Plan, PromoteModel
from ftops.plan.observed import ObservedJob
from ftops.plan.records import StateRecords
from ftops.provider import JobPhase, Provider
from ftops.provider.types import phase_of
from ftops.state import StateSnapshot, StateStorage

# How long apply --wait waits to take the lock back once its jobs ended (another run may hold it
# for a moment: a plan, or an apply's uploads). Past it, the next apply promotes instead.
RELOCK_TIMEOUT = 600.0

# Jobs polled at once. A poll is two small requests at a growing interval (at most every 15 s
# per job), so even the cap keeps well under the service's rate limits.
MAX_WAIT_THREADS = 16


def jobs_to_wait_for(
    records: StateRecords, address: str | None = None,
    job_phases: Mapping[str, JobPhase] = MappingProxyType({}),
) -> dict[str, str]:
    """The state's jobs not recorded as finished (a finished job cannot change, so it is not
    fetched again), or the one job at ``address``: address -> job id. ``job_phases``: the
    service's status words (``Capabilities.job_phases``), to read the recorded statuses."""
    if address is not None:
        kind, _, name = address.partition(".")
        if kind != "jobs" or name not in records.jobs:
            raise UsageError(f"{address} is not a job in the state (see `ftops state list`)")
        return {address: records.jobs[name].job_id}
    return {
        f"jobs.{name}": record.job_id
        for name, record in sorted(records.jobs.items())
        if not phase_of(record.status, job_phases).is_terminal
    }


def wait_for_all(
    provider: Provider, jobs: Mapping[str, str], reporter: Reporter, options: WaitOptions,
    must_succeed: Collection[str] = (),
) -> dict[str, ObservedJob]:
    """Wait, in parallel, until every job (address -> id) has ended; returns how each ended.

    A job of ``must_succeed`` (one a promotion waits for) that ends otherwise dooms the apply,
    so the other waits end at once, as the executor ends them after a failure: the result then
    lacks the jobs still running (they keep running in the account). A failure to wait (e.g.
    ``--wait-timeout`` reached) ends the other waits too and is raised; so is Ctrl-C."""
    if not jobs:
        return {}
    stop = threading.Event()

    def one(address: str, job_id: str) -> ObservedJob | None:
        job = provider.retrieve_job(job_id)
        try:
            if not job.is_terminal:
                job = wait_for_job(provider, address, job, reporter, options, stop)
        except WaitStopped as stopped:
            reporter.line(str(stopped))
            return None
        if address in must_succeed and job.phase is not JobPhase.SUCCEEDED:
            stop.set()
        return job

    pool = ThreadPoolExecutor(max_workers=min(len(jobs), MAX_WAIT_THREADS), thread_name_prefix="ftops-wait")
    try:
        running: dict[Future[ObservedJob | None], str] = {pool.submit(one, a, i): a for a, i in jobs.items()}
        try:
            done, _ = wait(running, return_when=FIRST_EXCEPTION)
        except KeyboardInterrupt:
            raise WaitInterrupted(len(jobs)) from None
        for future in done:
            error = future.exception()
            if error is not None:
                raise error
        ended = {running[future]: future.result() for future in running}
        return {address: job for address, job in ended.items() if job is not None}
    finally:
        # On an error or Ctrl-C: end every other wait at once (WaitStopped), then return.
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True)
class WaitPhase:
    """What a wait with the lock released needs from the command's session (``ftops.workflow``)."""

    provider: Provider
    storage: StateStorage
    project: str
    release_lock: Callable[[], None]
    acquire_lock: Callable[[], None]  # raises StateLockedError when it cannot
    read_state: Callable[[], StateSnapshot | None]
    reporter: Callable[[], Reporter]


@dataclass(frozen=True)
class Waited:
    journal: StateJournal  # on the state as re-read under the lock, the jobs' ends recorded
    ended: Mapping[str, ObservedJob]  # address -> how the job ended
    complete: bool  # every job ended (not so when one of ``must_succeed`` failed)
    moved: bool  # another run wrote the state meanwhile


RunChanges = Callable[[Plan, StateJournal, "WaitOptions | None"], ApplyResult]  # the executor


def finish_after_wait(
    phase: WaitPhase, the_plan: Plan, journal: StateJournal, wait: WaitOptions, result: ApplyResult, *,
    replan: Callable[[], Plan], run_changes: RunChanges,
) -> ApplyResult:
    """Phase two: wait for the jobs with the lock released, then take it back and carry out
    what waited for them (promotions, then the prunes after them) exactly as the plan says,
    with ``run_changes`` (the executor). ``result`` is phase one's; the result returned covers
    both. ``replan`` makes a plan from the state and the account as they are now."""
    later = [c for c in the_plan.changes if c.key in result.left_for_later]
    needed = {s.job_address for c in later for s in c.steps if isinstance(s, PromoteModel) and s.job_address}
    awaited = _job_ids(journal, needed)
    complete = True
    try:
        waited = wait_unlocked(phase, journal, wait, must_succeed=needed)
        journal, complete = waited.journal, waited.complete
        if waited.moved and later:
            later, done_elsewhere = still_planned(replan(), later, awaited, _job_ids(journal, needed))
            result = result.done_by_another_run(done_elsewhere)
            if done_elsewhere:
                _say(phase, ("No changes left: " if not later else "")
                     + f"{', '.join(done_elsewhere)} done by another run while this one waited.")
    except FtopsError as error:  # a wait timeout, the lock not taken back, the state changed
        if not result.left_for_later:
            raise  # only jobs no model name promotes were waited for: the error is the outcome
        return result.failing(result.left_for_later, error)
    if not later:
        return result
    # When a job a promotion needed failed, the others were not waited for to the end: their
    # promotions stay pending (no wait under the lock) and the failed one is reported.
    return result.then(run_changes(replace(the_plan, changes=tuple(later)), journal,
                                   wait if complete else None))


def still_planned(fresh_plan: Plan, later: list[Change], awaited: Mapping[str, str | None],
                  now: Mapping[str, str | None]) -> tuple[list[Change], list[str]]:
    """Another run wrote the state while this one waited (e.g. a second apply that ran in the
    meantime). The approved changes left to do are carried out only if the jobs they waited
    for are still the jobs of their names (``awaited`` == ``now``: a promotion names a job
    address, which another run may have pointed at a new job) and ``fresh_plan`` (made now)
    still has each of them exactly (same steps, same order among them), or no longer needs it
    (done by the other run). Returns (the changes to carry out, the keys done elsewhere);
    anything else is a conflict, and nothing more is done here."""
    fresh = {c.key: c for c in fresh_plan.actionable}
    keys = {c.key for c in later}  # what the approved changes waited for outside these is done

    def same(change: Change, now: Change) -> bool:
        return now.steps == change.steps and set(now.depends_on) == set(change.depends_on) & keys

    differ = [c.key for c in later if c.key in fresh and not same(c, fresh[c.key])]
    differ += sorted(a for a in awaited if awaited[a] != now.get(a))
    if differ:
        raise StateConflictError(
            f"another run changed the state while this one waited for its jobs: {', '.join(differ)} "
            "changed meanwhile, so nothing more is done here",
            hint="Run `ftops plan` to see what is left, then `ftops apply`.",
        )
    return [c for c in later if c.key in fresh], [c.key for c in later if c.key not in fresh]


def wait_unlocked(phase: WaitPhase, journal: StateJournal, wait: WaitOptions, *,
                  jobs: Mapping[str, str] | None = None, must_succeed: Collection[str] = ()) -> Waited:
    """Wait for ``jobs`` (default: the state's unfinished jobs) with the lock released (nothing
    is written while a job trains: the wait is read-only), take the lock back, re-read the
    state (same lineage), and record how each job ended (the service's word, true whoever
    wrote meanwhile). See ``wait_for_all`` for ``must_succeed``."""
    if jobs is None:
        jobs = jobs_to_wait_for(journal.records(), job_phases=phase.provider.capabilities.job_phases)
    if not jobs:
        return Waited(journal, {}, complete=True, moved=False)
    before = journal.snapshot
    reporter = phase.reporter()
    try:
        reporter.line(f"Waiting for {len(jobs)} job(s); the state is unlocked meanwhile.")
        phase.release_lock()
        ended = wait_for_all(phase.provider, jobs, reporter, wait, must_succeed)
    finally:
        reporter.close()
    try:
        phase.acquire_lock()
    except StateLockedError as error:
        raise StateLockedError(f"the jobs ended, but the state lock could not be taken back: {error}",
                               hint="Run `ftops apply` to promote and prune; the jobs' results stay "
                                    "in the account.") from error
    now = phase.read_state()
    if now is None or now.lineage != before.lineage:
        raise StateConflictError(
            "the state was replaced (another lineage, or removed) while this run waited for its jobs: "
            "nothing more is done here",
            hint="Run `ftops plan` to see what is left, then `ftops apply`.",
        )
    journal = StateJournal(phase.storage, now, phase.project)
    journal.update(lambda resources: after_job_seen(resources, *ended.values()))
    return Waited(journal, ended, complete=len(ended) == len(jobs), moved=now.serial != before.serial)


def _job_ids(journal: StateJournal, addresses: Collection[str]) -> dict[str, str | None]:
    jobs = journal.records().jobs
    names = {a: a.split(".", 1)[1] for a in addresses}
    return {a: jobs[n].job_id if n in jobs else None for a, n in names.items()}


def _say(phase: WaitPhase, line: str) -> None:
    reporter = phase.reporter()
    try:
        reporter.line(line)
    finally:
        reporter.close()

