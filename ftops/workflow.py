"""The library behind the CLI: load → check datasets → lock the state → refresh → plan → apply.

Each public function is one command's whole job, as a Python API, so the CLI
only parses flags and renders. Order matters and is the same everywhere:

1. load the manifests and check every dataset (offline: a mistake stops here,
   before any lock or request);
2. open the state storage and take its lock (``lock_timeout`` waits for it);
3. open the provider and refresh the account in three listings;
4. make the plan (pure), show it, ask (or not), and execute it, writing the
   state after every step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftops.errors import FtopsError, StateError, UsageError

if TYPE_CHECKING:
    from ftops.apply import ApplyResult, Reporter, StateJournal, WaitOptions
    from ftops.apply.deployments import ChatRoutes
    from ftops.apply.status import JobStatus, ModelStatus
    from ftops.apply.unlocked_wait import WaitPhase
    from ftops.plan.desired import Desired
    from ftops.plan.model import Plan
    from ftops.plan.observed import Observed, ObservedJob
    from ftops.plan.options import PlanOptions
    from ftops.plan.records import StateRecords
    from ftops.provider import JobPhase, Provider
    from ftops.provider.deployments import DeploymentManager
    from ftops.resources import BackendConfig, Project, ProviderConfig
    from ftops.state import StateSnapshot, StateStorage


@dataclass(frozen=True)
class Settings:
    """What every command shares: where the manifests are, which provider, how long to wait for the lock."""

    manifests: Path = Path("manifests")
    provider: str | None = None  # --provider: overrides the manifests' provider
    lock_timeout: float = 0.0  # seconds
    dataset_cache: bool = True  # --no-cache: check every dataset in full (ftops.datasets.cache)


@dataclass
class Session:
    """One command's open resources: the project, its storage (locked) and the provider."""

    project: Project
    storage: StateStorage
    settings: Settings
    operation: str = ""
    lock_id: str | None = None  # None while the lock is not held
    # apply --accept-inconclusive NAME: names whose INCONCLUSIVE gate verdict may promote
    accept_inconclusive: frozenset[str] = frozenset()
    _provider: Provider | None = None
    _aliases: dict[str, Provider] = field(default_factory=dict)  # providers: ALIAS, opened on use
    _stack: ExitStack = field(default_factory=ExitStack)
    _deployments: DeploymentManager | None = None
    _emulator_root: str | None = None  # an Azure project rehearsed on the embedded emulator
    _routes: ChatRoutes = field(default_factory=lambda: _new_routes())

    # A failure to release the lock, kept to be shown after the run's own outcome and error
    # (issue 22: it used to hide them).
    release_error: StateError | None = None

    def acquire_lock(self, timeout: float) -> None:
        self.lock_id = self.storage.lock(self.operation, timeout=timeout).id

    def release_lock(self) -> None:
        """Release the lock if held (``apply --wait`` releases it while jobs train). A failure
        is kept in ``release_error``, with the next step, rather than raised over whatever the
        run was doing."""
        if self.lock_id is not None:
            lock_id, self.lock_id = self.lock_id, None
            try:
                self.storage.unlock(lock_id)
            except (FtopsError, OSError) as error:
                self.release_error = StateError(
                    f"cannot release the lock of {self.storage.describe()} (ID {lock_id}): {error}",
                    hint="Once that store is reachable again and no run is using the state: "
                    f"ftops force-unlock {lock_id}",
                )

    @property
    def provider(self) -> Provider:
        """Opened on first use: commands that only read the state never need a key."""
        if self._provider is None:
            self._provider = self._stack.enter_context(
                open_provider(self.project.provider, self.project.root, self.settings.provider,
                              on_emulator=self._rehearse_on)
            )
        return self._provider

    def provider_of(self, alias: str) -> Provider:
        """The provider of a ``providers:`` alias (``default``: ``provider``), opened on first use.
        Under ``--provider emulator`` each alias has an embedded emulator of its own."""
        from ftops.multi.partition import DEFAULT

        if alias == DEFAULT:
            return self.provider
        if alias not in self._aliases:
            self._aliases[alias] = self._stack.enter_context(
                open_alias_provider(self.project, self.settings, alias))
        return self._aliases[alias]

    def deployments(self, records: StateRecords | None = None) -> DeploymentManager | None:
        """The management plane, opened on first use, when the project deploys: on provider type
        azure (not a rehearsal on the emulator's OpenAI form), a name declares ``deployment:`` or
        the state records a deployment. The token comes from the standard chain (or
        ``AZURE_MANAGEMENT_TOKEN``): ``ftops.provider.azure.management``."""
        from ftops.provider import effective_provider

        resolved = effective_provider(self.project.provider, self.settings.provider)
        if self.project.provider.type not in ("azure", "together") or resolved.type not in (
            "azure", "together", "emulator"
        ):
            return None
        declared = any(m.deployment is not None for m in self.project.models.values())
        recorded = records is not None and any(r.deployment is not None for r in records.models.values())
        if self._deployments is None and (declared or recorded) and self.project.provider.type == "together":
            self._deployments = self._together_endpoints()
        if self._deployments is None and (declared or recorded):
            from ftops.provider.azure.management import connect, static_token

            if resolved.type == "emulator":
                # The rehearsal: the embedded emulator's management plane, which takes any token;
                # its subscription, group and account are the manifests' (or placeholders).
                self.provider  # noqa: B018 (starts the emulator, which sets _emulator_root)
                assert self._emulator_root is not None
                config = replace(self.project.provider, management_endpoint=self._emulator_root,
                                 subscription_id=self.project.provider.subscription_id or "rehearsal",
                                 resource_group=self.project.provider.resource_group or "rehearsal",
                                 account_name=self.project.provider.account_name or "rehearsal")
                manager = connect(config, self.project.name, static_token(EMULATOR_PLACEHOLDER_KEY))
            else:
                manager = connect(resolved, self.project.name)
            self._stack.callback(manager.close)
            self._deployments = manager
        return self._deployments

    def _together_endpoints(self) -> DeploymentManager:
        """Together's dedicated endpoints, over the adapter's own SDK client, in the Together
        project the provider block names (the manifest loader qualified each endpoint name
        with it: ``<project id>/<prefix>-<8 hex>``, what an application sends as the model)."""
        from ftops.provider.together.adapter import TogetherProvider
        from ftops.provider.together.endpoints import project_id_of

        provider = self.provider
        if not isinstance(provider, TogetherProvider):
            raise UsageError(f"dedicated endpoints need the Together adapter, not {provider.description}")
        return provider.endpoints(project_id_of(self.project.provider.project), self.project.name)

    def _rehearse_on(self, root_url: str) -> None:
        self._emulator_root = root_url

    def chat_provider(self, records: StateRecords) -> Provider:
        """The provider, its chats routed through the deployment that serves each recorded model."""
        from ftops.apply.deployments import routed

        for record in records.models.values():
            if record.deployment is not None:
                self._routes.set(record.deployment.model_id, record.deployment.name)
        return routed(self.provider, self._routes)

    def read_state(self) -> StateSnapshot | None:
        """The stored state, refused if it is older than the newest its store has held (a
        rollback) until someone keeps it on purpose (``state push --force``)."""
        from ftops.errors import StateConflictError

        for attempt in range(3):
            state = self.storage.read()
            if state is None:
                return None
            try:
                self.storage.check_not_rolled_back(state)
            except StateConflictError:
                if attempt == 2:
                    raise
                continue  # another run wrote between the two reads: read its state
            return state
        raise AssertionError("unreachable")  # pragma: no cover


def is_multi(project: Project) -> bool:
    """Whether the project declares ``providers:`` aliases: it is then planned, applied and
    refreshed provider by provider (``ftops.multi``)."""
    return bool(project.providers)


def load_project(settings: Settings) -> Project:
    from ftops.manifest import load_project as load

    if not settings.manifests.is_dir():
        raise UsageError(f"{settings.manifests}: no such manifests folder (use --manifests DIR)",
                         hint="ftops looks for manifests/ here and in the folders above; "
                              "`ftops init` starts a project.")
    return load(settings.manifests)


# Where the state lives when ``--provider emulator`` stands in for the manifests' real provider.
EMULATOR_STATE_PATH = ".ftops/emulator/ftops.state.json"
# Where the embedded emulator keeps its data, under the project root.
EMULATOR_DATA_DIR = ".ftops/emulator"
# The emulator accepts any bearer key; this one is used when OPENAI_API_KEY is unset.
EMULATOR_PLACEHOLDER_KEY = "ftops-emulator-key"
# The data-plane version an Azure project rehearsed on the emulator uses when its own is unknown there.
EMULATOR_AZURE_API_VERSION = "2025-04-01-preview"
# The embedded emulator trains in seconds: poll it at least this often.
EMULATOR_POLL_INTERVAL_S = 0.5


@contextmanager
def open_provider(
    config: ProviderConfig, project_root: Path, override: str | None = None, *,
    emulator_dir: str = EMULATOR_DATA_DIR, on_emulator: Callable[[str], None] | None = None,
) -> Iterator[Provider]:
    """The manifests' provider, or the one ``--provider`` names, open for the command's length.

    This is where the embedded emulator starts (provider type ``emulator``): in-process, over
    real HTTP, its data under the project's ``.ftops/emulator/``; the OpenAI adapter is handed
    its address and a short poll interval. The provider package never starts a server.

    The emulator speaks the manifests' provider: for ``type: together`` it is reached through
    the Together adapter at its ``/together`` prefix, for the others through the OpenAI adapter;
    an Azure project rehearsed on it (``--provider emulator``) speaks Azure's form of the API to
    it, so that its deployments are rehearsed too; ``on_emulator`` learns the emulator's root URL
    (its management plane, for the deployments)."""
    from ftops.provider import Endpoint, effective_provider, emulated_provider
    from ftops.provider import open_provider as open_adapter

    resolved = effective_provider(config, override)
    with ExitStack() as stack:
        endpoint = None
        if resolved.type == "emulator":
            from ftops.emulator import EmulatorConfig, embedded_speed, start_background

            data_dir = project_root / emulator_dir
            data_dir.mkdir(parents=True, exist_ok=True)
            running = start_background(EmulatorConfig(data_dir=data_dir, speed=embedded_speed()))
            stack.callback(running.stop)  # after the provider's client is closed
            if config.type == "azure":  # Azure's form, at the emulator's root (ftops.emulator.azure)
                from ftops.emulator.azure import API_VERSIONS

                version = config.api_version if config.api_version in API_VERSIONS else None
                resolved = replace(config, api_version=version or EMULATOR_AZURE_API_VERSION)
                base_url = running.root_url
                if on_emulator is not None:
                    on_emulator(running.root_url)
            else:
                resolved, base_url = emulated_provider(config, running.base_url, running.together_base_url)
            endpoint = Endpoint(
                base_url=base_url, label="emulator", placeholder_key=EMULATOR_PLACEHOLDER_KEY,
                max_poll_interval_s=EMULATOR_POLL_INTERVAL_S,
            )
        provider = stack.enter_context(open_adapter(resolved, endpoint))
        yield provider


def open_alias_provider(project: Project, settings: Settings, alias: str) -> AbstractContextManager[Provider]:
    """The provider of a ``providers:`` alias (``default``: the project's), as ``open_provider``
    opens it; under ``--provider emulator`` an alias's emulator keeps its data apart."""
    from ftops.multi.partition import DEFAULT, config_of

    where = EMULATOR_DATA_DIR if alias == DEFAULT else f"{EMULATOR_DATA_DIR}/providers/{alias}"
    return open_provider(config_of(project, alias), project.root, settings.provider, emulator_dir=where)


def alias_of_address(project: Project, settings: Settings, address: str | None) -> str:
    """The alias whose service holds what ``address`` names (``jobs.x@az``, ``models.NAME``);
    ``default`` for a project without aliases, a job id, or nothing."""
    from ftops.multi.partition import DEFAULT, alias_of_key, model_alias

    if not is_multi(project) or address is None:
        return DEFAULT
    if address.startswith("models."):
        state = read_state(settings)
        return model_alias(state.resources if state else {}, address.partition(".")[2], project)
    return alias_of_key(address) if address.startswith("jobs.") else DEFAULT


def backend_for(project: Project, settings: Settings) -> BackendConfig:
    """The manifests' backend; but a run against the embedded emulator in place of the real
    provider keeps its own local state next to the emulator's data, so that trying the project
    on the emulator never writes emulator ids into the real state (and a plan saved against
    one is stale for the other, their lineages differing)."""
    from ftops.resources import BackendConfig

    if settings.provider == "emulator" and project.provider.type != "emulator":
        return BackendConfig(type="local", path=EMULATOR_STATE_PATH)
    return project.backend


def provider_kind(project: Project, settings: Settings) -> str:
    """The kind of provider a command talks to: ``--provider``, else the manifests'."""
    return settings.provider or project.provider.type


def rehearsal_note(settings: Settings, project: Project | None = None) -> str | None:
    """For a command that found nothing in the real state: when a rehearsal (``--provider
    emulator``) kept its own state apart, say where and how to see it; else None."""
    if settings.provider == "emulator":
        return None
    project = project or load_project(settings)
    if project.provider.type == "emulator" or not (project.root / EMULATOR_STATE_PATH).is_file():
        return None
    return (f"The rehearsal's state (--provider emulator) is kept apart, in {EMULATOR_STATE_PATH}: "
            "add --provider emulator to see it.")


def load(settings: Settings) -> Desired:
    """The manifests and every dataset, checked offline; a mistake raises an ``InputError``
    listing every problem found, before any lock is taken or request made."""
    from ftops.apply.inputs import build_desired

    return build_desired(load_project(settings), cache=settings.dataset_cache)


@contextmanager
def session(settings: Settings, operation: str, *, project: Project | None = None,
            lock: bool = True, defer_release_error: bool = False) -> Iterator[Session]:
    """Open the state storage (locked for ``operation`` unless ``lock`` is False) and, lazily,
    the provider; everything is released on exit, the lock last. A failure to release the lock
    follows the body's own error, or is raised after a body that succeeded, unless
    ``defer_release_error``: then the caller reports ``release_error`` after its outcome."""
    from ftops.state import open_storage

    project = project or load_project(settings)
    storage = open_storage(backend_for(project, settings), project.root)
    current = Session(project=project, storage=storage, settings=settings, operation=operation)
    try:
        with ExitStack() as stack:
            stack.callback(storage.close)
            stack.callback(current.release_lock)
            if lock:
                current.acquire_lock(settings.lock_timeout)
            stack.callback(current._stack.close)  # the provider (and any embedded emulator) first
            yield current
    except FtopsError as error:
        # The error that stopped the run comes first; a lock that could not be released after.
        if current.release_error is not None:
            error.followed_by(current.release_error)
            current.release_error = None
        raise
    if current.release_error is not None and not defer_release_error:
        raise current.release_error


# ---- plan ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRun:
    plan: Plan
    desired: Desired
    state: StateSnapshot | None
    observed: Observed
    requests: int  # API requests the refresh made
    # A project with ``providers:`` aliases: each alias's refresh (``observed`` is the default's).
    observed_by_alias: Mapping[str, Observed] | None = None


def _make_plan(current: Session, desired: Desired, options: PlanOptions) -> PlanRun:
    from ftops.plan.planner import check_options, make_plan
    from ftops.provider import refresh

    state = current.read_state()
    if is_multi(desired.project):
        from ftops.multi.run import plan_every_provider

        return plan_every_provider(current, desired, options, state)
    if state is not None and any("@" in address for address in state.resources):
        from ftops.multi.plan import check_state_providers

        check_state_providers(desired, state, {"default": {}})  # refuses the aliases' records
    # Flags and settings are checked before the account is read: a mistake costs no request
    # (a bad FTOPS_JOB_CUTOFF or --target used to be reported after the three listings;
    # found by tests/reliability/hostile).
    options = _with_catalogue(_with_job_cutoff(options, current), current)
    check_options(desired, state, options)
    provider = current.provider
    since = _job_listing_since(desired, state, options, provider.capabilities.job_phases)
    from ftops.plan.records import read_records

    deployments = current.deployments(read_records(state))
    observed = refresh(provider, current.project.name, since, deployments)
    plan = make_plan(desired, state, observed, options)
    plan = replace(plan, base=replace(plan.base, provider=provider_kind(current.project, current.settings)))
    return PlanRun(plan=plan, desired=desired, state=state, observed=observed,
                   requests=observed.request_count)


def _job_listing_since(desired: Desired, state: StateSnapshot | None, options: PlanOptions,
                       job_phases: Mapping[str, JobPhase]) -> int | None:
    """How far back this refresh reads the jobs listing (ftops.plan.listing); the provider
    reads it all anyway where its listing is not newest first."""
    from ftops.plan.listing import job_listing_since
    from ftops.plan.records import read_records

    if state is None or state.project not in (None, desired.project.name):
        return None  # a watermark of another project's listing proves nothing about this one
    records = read_records(state)
    return job_listing_since(desired, records, state.job_watermark, options, job_phases=job_phases)


def _with_job_cutoff(options: PlanOptions, current: Session,
                     declared: ProviderConfig | None = None) -> PlanOptions:
    """The provider's end date for new jobs (packaged data, or FTOPS_JOB_CUTOFF), for the
    planner to refuse a job it would create too late (issue 10); read with the clock's date.
    ``declared``: an alias's provider (default: the project's)."""
    from dataclasses import replace

    from ftops.lifecycle.cutoffs import job_cutoff

    if options.today is None or options.job_cutoff is not None:
        return options
    declared = declared or current.project.provider
    kind = current.settings.provider or declared.type
    if kind == "emulator" and declared.type == "together":
        kind = "together"  # the emulator speaks Together's API for it, with Together's dates
    cutoff = job_cutoff(kind, declared.base_url if kind == declared.type else None)
    return replace(options, job_cutoff=cutoff.date, job_cutoff_source=cutoff.source)


def _with_catalogue(options: PlanOptions, current: Session,
                    declared: ProviderConfig | None = None) -> PlanOptions:
    """The packaged catalogue of base models for the provider the plan runs against (issue 17)."""
    from dataclasses import replace

    from ftops.lifecycle.catalogue import catalogue_for

    declared = declared or current.project.provider
    kind = current.settings.provider or declared.type
    base_url = declared.base_url if kind == declared.type else None
    return replace(options, catalogue=catalogue_for(kind, base_url))


def plan(settings: Settings, options: PlanOptions) -> PlanRun:
    desired = load(settings)
    with session(settings, "plan", project=desired.project) as current:
        return _make_plan(current, desired, options)


# ---- apply --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplyRun:
    plan: Plan
    result: ApplyResult | None  # None: nothing to do, or not approved
    approved: bool
    # The lock could not be released after the run: shown after its outcome (a StateError).
    release_error: StateError | None = None


@dataclass(frozen=True)
class ApplyHooks:
    """How the caller shows a plan, asks for approval and reports progress."""

    show: Callable[[Plan], None]
    approve: Callable[[Plan], bool]
    reporter: Callable[[], Reporter]


def apply(
    settings: Settings,
    hooks: ApplyHooks,
    *,
    options: PlanOptions,
    plan_file: Path | None = None,
    wait: WaitOptions | None = None,
    parallelism: int = 4,
    accept_inconclusive: frozenset[str] = frozenset(),
) -> ApplyRun:
    """Plan, show, ask and execute; or, with ``plan_file``, execute exactly that saved plan
    once it is proven fresh. With ``options.refresh_only`` (or a saved refresh-only plan), only
    record in the state what the account says (see ``_apply_refresh_only``)."""
    if parallelism < 1:
        raise UsageError("--parallelism must be at least 1")
    if options.refresh_only and (wait is not None or options.targets or options.replaces):
        raise UsageError("--refresh-only records the whole account as it is: "
                         "--wait, --target and --replace do not go with it")
    desired = load(settings)
    unknown = sorted(accept_inconclusive - set(desired.project.models))
    if unknown:
        raise UsageError(f"--accept-inconclusive {unknown[0]}: no such model name in the manifests")
    with session(settings, "apply", project=desired.project, defer_release_error=True) as current:
        current.accept_inconclusive = accept_inconclusive
        run = _apply_locked(current, desired, hooks, options, plan_file, wait, parallelism)
    return replace(run, release_error=current.release_error)


def _apply_locked(current: Session, desired: Desired, hooks: ApplyHooks, options: PlanOptions,
                  plan_file: Path | None, wait: WaitOptions | None, parallelism: int) -> ApplyRun:
    from ftops.apply.journal import StateJournal
    from ftops.apply.unlocked_wait import wait_unlocked
    from ftops.plan.bookkeeping import refresh_records
    from ftops.plan.listing import next_job_watermark

    first_watermark: int | None = None  # a saved plan's refresh is not this run's
    if plan_file is not None:
        from ftops.plan.planfile import load_plan

        the_plan = load_plan(plan_file)
        state = _check_saved_plan(current, desired, the_plan)
        hooks.show(the_plan)
        if the_plan.refresh_only:
            return _apply_refresh_only(current, desired, hooks, saved=the_plan)
    elif options.refresh_only:
        return _apply_refresh_only(current, desired, hooks, options=options)
    else:
        run = _make_plan(current, desired, options)
        the_plan, state = run.plan, run.state
        first_watermark = next_job_watermark(run.observed) if state is None else None
        hooks.show(the_plan)
        if the_plan.has_changes and not hooks.approve(the_plan):
            return ApplyRun(the_plan, None, approved=False)
        if state is not None:
            # What the refresh taught (job progress, older objects gone) is stored first, as
            # Terraform stores a refreshed state, so status/output read a current state.
            observed = run.observed
            refreshed = StateJournal(current.storage, state, desired.project.name,
                                     job_watermark=next_job_watermark(observed))
            learn = _learn(run, refresh_records)
            state = refreshed.update(lambda resources: learn(resources, observed))
        if not the_plan.has_changes:
            # (several providers: the state's jobs are on several; apply --wait waits in its promotions)
            if wait is not None and state is not None and run.observed_by_alias is None:
                wait_unlocked(_wait_phase(current, hooks.reporter),
                              StateJournal(current.storage, state, desired.project.name), wait)
            return ApplyRun(the_plan, None, approved=False)
    # A first apply (no state yet) records its refresh's watermark with its first write.
    journal = StateJournal(current.storage, state, desired.project.name, job_watermark=first_watermark)
    if is_multi(desired.project):
        # Several providers: each promotion waits for its job through the job's own provider,
        # with the lock held (the unlocked wait reads one provider's jobs).
        return ApplyRun(the_plan, _execute(current, the_plan, journal, hooks, wait, parallelism),
                        approved=True)
    result = _execute(current, the_plan, journal, hooks, None, parallelism)
    if wait is not None and not result.failed:
        result = _finish_after_wait(current, desired, hooks, parallelism, the_plan, journal, wait,
                                    result)
    return ApplyRun(the_plan, result, approved=True)


def _check_saved_plan(current: Session, desired: Desired, the_plan: Plan) -> StateSnapshot | None:
    """A saved plan runs only if it still fits the state, the newest the backend has held, and
    the inputs; and, unless it only refreshes, if the account (read again: three requests)
    holds none of what it would create. Returns the state it applies to."""
    from ftops.apply.replay import creates_already_done
    from ftops.plan.planfile import check_creates_not_done, check_plan_fresh
    from ftops.provider import refresh

    state = current.storage.read()
    lineage = the_plan.base.state_lineage
    highest = current.storage.highest_serial(lineage) if lineage is not None else None
    check_plan_fresh(the_plan, state, desired.inputs_digest(),
                     provider_kind(desired.project, current.settings), highest)
    if state is not None:
        current.storage.check_not_rolled_back(state)
    if not the_plan.refresh_only and is_multi(desired.project):
        from ftops.multi.run import creates_done_anywhere

        check_creates_not_done(creates_done_anywhere(current, the_plan))
    elif not the_plan.refresh_only:
        observed = refresh(current.provider, current.project.name)
        check_creates_not_done(creates_already_done(the_plan, observed))
    return state


def _execute(current: Session, the_plan: Plan, journal: StateJournal, hooks: ApplyHooks,
             wait: WaitOptions | None, parallelism: int) -> ApplyResult:
    from ftops.apply import execute
    from ftops.apply.deployments import Deployer

    reporter = hooks.reporter()
    records = journal.records()
    provider = current.chat_provider(records)
    manager = current.deployments(records)
    deployer = None
    if manager is not None:
        deployer = Deployer(manager, journal, reporter, current.project.name, current._routes,
                            poll_interval_s=_deployment_poll_interval(current))
    try:
        routes = None
        if is_multi(current.project):
            from ftops.multi.run import routes_of

            routes = routes_of(current, journal, reporter,
                               lambda provider, baseline: _gate(current, reporter, provider, baseline))
        return execute(
            the_plan, provider=provider, journal=journal, project=current.project,
            reporter=reporter, wait=wait, parallelism=parallelism, gate=_gate(current, reporter, provider),
            routes=routes, deployer=deployer,
        )
    finally:
        reporter.close()


def _deployment_poll_interval(current: Session) -> float:
    """How often to look whether a deployment answers: as often as the provider's jobs are polled
    when that is quick (the emulator), else every 10 s."""
    from ftops.provider import effective_provider

    endpoint = current._emulator_root or \
        effective_provider(current.project.provider, current.settings.provider).management_endpoint
    local = endpoint is not None and endpoint.startswith(("http://127.", "http://localhost", "http://[::1]"))
    return 0.2 if local else 10.0


def _new_routes() -> ChatRoutes:
    from ftops.apply.deployments import ChatRoutes

    return ChatRoutes()


def _gate(current: Session, reporter: Reporter, provider: Provider | None = None,
          baseline: Callable[[str], Provider] | None = None) -> Callable[[str, str, str | None], Any] | None:
    """The promotion gate (``models.<name>.gate``), when a name has one; ``provider``: the one its
    candidates answer on (default: the project's); ``baseline``: by name, the one its current
    model answers on when that is another (a move between providers)."""
    if not any(spec.gate is not None for spec in current.project.models.values()):
        return None
    from ftops.gate.promotion import promotion_gate
    from ftops.state.lock import holder_name

    provider_name = current.settings.provider or current.project.provider.type
    who = holder_name()
    return promotion_gate(current.project, provider or current.provider, provider_name,
                          accept_inconclusive=current.accept_inconclusive, who=who, say=reporter.line,
                          baseline_provider=baseline)


def _learn(run: PlanRun, rule: Callable[[Any, Observed], dict[str, Any]]) -> Callable[[Any, Observed], Any]:
    """What a refresh teaches the state (``rule``: a ``bookkeeping`` rule): with several providers,
    each alias's records from its own listings (``ftops.multi.refresh``)."""
    by_alias = run.observed_by_alias
    if by_alias is None:
        return rule
    from ftops.multi.refresh import learn_each

    return lambda resources, _observed: learn_each(resources, by_alias, rule)


# ---- apply --refresh-only -------------------------------------------------------------------------


def _apply_refresh_only(current: Session, desired: Desired, hooks: ApplyHooks, *,
                        options: PlanOptions | None = None, saved: Plan | None = None) -> ApplyRun:
    """Record the account as it is (``terraform apply -refresh-only``): job progress, and the
    uploads and models deleted outside ftops forgotten (``bookkeeping.forget_vanished``). The
    drift is shown and, unless the plan was saved, approved first. A saved refresh-only plan is
    recorded only if a refresh now finds exactly the drift it showed."""
    from ftops.apply.journal import StateJournal
    from ftops.errors import StalePlanError
    from ftops.plan.bookkeeping import forget_vanished
    from ftops.plan.listing import next_job_watermark
    from ftops.plan.options import PlanOptions

    run = _make_plan(current, desired, options or PlanOptions(refresh_only=True))
    the_plan = saved or run.plan
    if saved is None:
        hooks.show(the_plan)
    elif run.plan.drift != saved.drift:
        raise StalePlanError(
            "the account changed since this refresh-only plan was made: it shows other drift than now",
            hint="Run `ftops plan --refresh-only` again.",
        )
    if run.state is None:
        return ApplyRun(the_plan, None, approved=False)
    if saved is None and the_plan.drift and not hooks.approve(the_plan):
        return ApplyRun(the_plan, None, approved=False)
    observed = run.observed
    journal = StateJournal(current.storage, run.state, desired.project.name,
                           job_watermark=next_job_watermark(observed))
    learn = _learn(run, forget_vanished)
    stored = journal.update(lambda resources: learn(resources, observed))
    reporter = hooks.reporter()
    try:
        if journal.writes:
            n = len(the_plan.drift)
            reporter.line(f"Refresh applied: the state records the account as it is now "
                          f"({n} change{'s' if n != 1 else ''} made outside ftops; serial {stored.serial}).")
        else:
            reporter.line("Refresh applied: the state already matched the account; nothing written.")
    finally:
        reporter.close()
    return ApplyRun(the_plan, None, approved=True)


# ---- apply --wait: the state lock is released while jobs train (ftops.apply.unlocked_wait) ---------


def _wait_phase(current: Session, reporter: Callable[[], Reporter]) -> WaitPhase:
    from ftops.apply.unlocked_wait import RELOCK_TIMEOUT, WaitPhase

    return WaitPhase(
        provider=current.provider, storage=current.storage, project=current.project.name,
        release_lock=current.release_lock,
        acquire_lock=lambda: current.acquire_lock(max(current.settings.lock_timeout, RELOCK_TIMEOUT)),
        read_state=current.read_state, reporter=reporter,
    )


def _finish_after_wait(current: Session, desired: Desired, hooks: ApplyHooks, parallelism: int,
                       the_plan: Plan, journal: StateJournal, wait: WaitOptions,
                       result: ApplyResult) -> ApplyResult:
    from ftops.apply.unlocked_wait import finish_after_wait
    from ftops.plan.options import PlanOptions

    def run_changes(changes: Plan, journal: StateJournal, wait: WaitOptions | None) -> ApplyResult:
        return _execute(current, changes, journal, hooks, wait, parallelism)

    provider = current.provider

    def counts() -> tuple[int, int]:
        management = current._deployments
        extra = (management.request_count, management.mutating_request_count) if management else (0, 0)
        return provider.request_count + extra[0], provider.mutating_request_count + extra[1]

    total_before, mutating_before = counts()
    done = finish_after_wait(_wait_phase(current, hooks.reporter), the_plan, journal, wait, result,
                             replan=lambda: _make_plan(current, desired, PlanOptions()).plan,
                             run_changes=run_changes)
    # The apply's request figures count the whole second phase (the wait's polls and the fresh
    # refresh too), not only the changes it ran.
    return replace(
        done,
        requests=result.requests + counts()[0] - total_before,
        mutating_requests=result.mutating_requests + counts()[1] - mutating_before,
    )


def save_plan(the_plan: Plan, path: Path) -> None:
    from ftops.plan.planfile import save_plan as save

    save(the_plan, path)


# ---- the other commands ------------------------------------------------------------------------


def read_state(settings: Settings) -> StateSnapshot | None:
    """The stored state, without a lock (read-only commands: output, state list/show)."""
    with session(settings, "read", lock=False) as current:
        return current.read_state()


@dataclass(frozen=True)
class Output:
    """A model name's model and the service it is on (``ftops output --with-provider``)."""

    model_id: str
    alias: str  # "default": the project's provider
    type: str
    base_url: str | None  # None: the service's public address


def outputs_with_providers(settings: Settings) -> dict[str, Output]:
    """Model names -> their model and its provider: what applications follow through a move.
    The service is the one the state recorded for the alias (else the manifests')."""
    from ftops.multi.partition import DEFAULT, config_of, fingerprint, model_alias

    project = load_project(settings)
    state = read_state(settings)
    if state is None:
        return {}
    resources = state.resources
    out = {}
    for name, model_id in outputs(settings).items():
        if "." in name:  # NAME.deployment: no model of its own (a model name has no dot)
            continue
        alias = model_alias(resources, name, project) if is_multi(project) else DEFAULT
        recorded = state.providers.get(alias)
        if recorded is None:
            declared = config_of(project, alias) if alias == DEFAULT or alias in project.providers else None
            recorded = fingerprint(declared) if declared is not None else {"type": "unknown"}
            if settings.provider == "emulator" and project.provider.type != "emulator":
                recorded = {"type": "emulator"}
        out[name] = Output(model_id, alias, recorded["type"],
                           recorded.get("base_url") or recorded.get("endpoint"))
    return out


def outputs(settings: Settings) -> dict[str, str]:
    """Model names → the fine-tuned model ids they point at now, from the state; and for a name
    served through a deployment, ``NAME.deployment`` → the deployment's name."""
    from ftops.plan.records import read_records

    records = read_records(read_state(settings))
    values: dict[str, str] = {}
    for name, record in sorted(records.models.items()):
        values[name] = record.model_id
        if record.deployment is not None:  # what an application on Azure sends as the model
            values[f"{name}.deployment"] = record.deployment.name
    return values


def status(settings: Settings) -> tuple[list[JobStatus], list[ModelStatus]]:
    """The state's jobs as the account sees them now, and each model name with its shutdown date."""
    from ftops.apply.status import job_statuses, model_statuses
    from ftops.plan.records import read_records

    with session(settings, "status", lock=False) as current:
        records = read_records(current.read_state())
        if not records.jobs and not records.models:
            return [], []  # nothing to ask the account about: no key needed
        if is_multi(current.project):
            from ftops.multi.run import statuses

            return statuses(current)
        rows = job_statuses(current.provider, current.project.name, records)
        models = model_statuses(current.provider, records, hosting_pricing=current.project.hosting_pricing)
        return rows, models


def _job_phases(current: Session) -> Mapping[str, JobPhase]:
    """The status words of the session's service, without opening it (no key needed)."""
    from ftops.provider import effective_provider, naming_of

    return naming_of(effective_provider(current.project.provider, current.settings.provider).type).job_phases


def wait(settings: Settings, reporter: Reporter, options: WaitOptions,
         address: str | None = None) -> list[ObservedJob]:
    """Wait for the state's unfinished jobs (or the one at ``address``) with the state lock
    released, as ``apply --wait`` does, then record how each ended; in address order."""
    from ftops.apply.journal import StateJournal
    from ftops.apply.unlocked_wait import jobs_to_wait_for, wait_unlocked

    with session(settings, "wait") as current:
        journal = StateJournal(current.storage, current.read_state(), current.project.name)
        try:
            jobs = jobs_to_wait_for(journal.records(), address, _job_phases(current))
            if is_multi(current.project):
                from ftops.multi.run import wait_each

                return wait_each(current, _wait_phase(current, lambda: reporter), journal, options, jobs)
            waited = wait_unlocked(_wait_phase(current, lambda: reporter), journal, options, jobs=jobs)
            return [waited.ended[a] for a in sorted(waited.ended)]
        finally:
            reporter.close()


def chat(settings: Settings, name_or_model: str, text: str, *, system: str | None = None) -> tuple[str, str]:
    """Ask a model name's current model (or any model id), after ``system`` as a system message
    if given (models are often trained with one); returns (model id, reply)."""
    from ftops.plan.records import read_records

    with session(settings, "chat", lock=False) as current:
        records = read_records(current.read_state())
        name = name_or_model.removeprefix("models.")
        if name in records.models:
            model = records.models[name].model_id
        elif name in current.project.models:
            raise UsageError(
                f"models.{name} points at no model yet: apply (with --wait) until its job succeeds",
                hint=rehearsal_note(settings, current.project),
            )
        else:
            model = name_or_model
        messages = [{"role": "system", "content": system}] if system is not None else []
        messages.append({"role": "user", "content": text})
        provider = current.chat_provider(records)
        if is_multi(current.project) and name in records.models:
            from ftops.multi.partition import model_alias

            state = current.read_state()
            provider = current.provider_of(model_alias(state.resources if state else {}, name,
                                                       current.project))
        reply = provider.chat(model, messages)
        return model, reply


def import_object(settings: Settings, address: str, object_id: str) -> str:
    from ftops.apply.admin import import_object as record_import
    from ftops.apply.journal import StateJournal

    desired = load(settings)
    with session(settings, "import", project=desired.project) as current:
        journal = StateJournal(current.storage, current.read_state(), desired.project.name)
        if is_multi(desired.project):
            from ftops.multi.run import import_into_part

            return import_into_part(current, journal, desired, address, object_id)
        return record_import(journal, current.provider, desired, address, object_id)


def edit_state(settings: Settings, operation: str, edit: Callable[[StateJournal], None]) -> None:
    """Run one state edit (``state rm``/``state mv``) under the lock."""
    from ftops.apply.journal import StateJournal

    with session(settings, operation) as current:
        state = current.read_state()
        if state is None:
            raise UsageError(f"there is no state yet at {current.storage.describe()}")
        edit(StateJournal(current.storage, state, current.project.name))


def force_unlock(settings: Settings, lock_id: str) -> None:
    with session(settings, "force-unlock", lock=False) as current:
        current.storage.force_unlock(lock_id)


def state_pull(settings: Settings) -> str:
    """The stored state document exactly as stored (``ftops state pull``)."""
    from ftops.state import open_storage
    from ftops.state.transfer import pull

    project = load_project(settings)
    storage = open_storage(backend_for(project, settings), project.root)
    try:
        return pull(storage)
    finally:
        storage.close()


def state_push(settings: Settings, text: str, source: str, force: bool) -> StateSnapshot:
    """Replace the stored state with a full document (``ftops state push FILE [--force]``);
    refuses an older serial or another lineage unless forced. Takes the lock itself."""
    from ftops.state import open_storage
    from ftops.state.transfer import push

    project = load_project(settings)
    storage = open_storage(backend_for(project, settings), project.root)
    try:
        return push(storage, text, source=source, force=force, lock_timeout=settings.lock_timeout)
    finally:
        storage.close()
