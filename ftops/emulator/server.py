"""Running the emulator: uvicorn in a daemon thread (tests, ``--provider emulator``) or in the foreground.

The listening socket is bound here, before uvicorn starts, so port 0 gives an
ephemeral port we know at once, and "returns once listening" is literally true.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path

import uvicorn

from ftops.emulator import shutdowns
from ftops.emulator.app import build_app
from ftops.emulator.config import EmulatorConfig
from ftops.emulator.cutoff import parse_job_cutoff
from ftops.emulator.faults import FaultInjector
from ftops.emulator.holds import MutationHold
from ftops.emulator.refusals import parse_refusals
from ftops.emulator.requestlog import RequestLog, RequestRecord
from ftops.emulator.runtime import Runtime
from ftops.emulator.store import Store
from ftops.errors import UsageError

START_TIMEOUT_S = 15.0


def _runtime(config: EmulatorConfig) -> Runtime:
    if config.speed <= 0:
        raise UsageError(f"--speed must be above 0 (got {config.speed}).")
    faults = FaultInjector(config.faults)  # a bad spec fails here, before anything listens
    refusals = parse_refusals(config.refusals)
    dates = shutdowns.check(config.model_shutdowns)
    job_cutoff = parse_job_cutoff(config.job_cutoff) if config.job_cutoff else None
    data_dir = Path(config.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(data_dir)
    if dates:
        with store.transaction() as conn:
            shutdowns.write(conn, dates)
    return Runtime(
        store=store,
        organization=config.organization,
        speed=config.speed,
        faults=faults,
        log=RequestLog(),
        non_owner_keys=set(config.non_owner_keys),
        refusals=refusals,
        azure_api_keys=frozenset(config.azure_api_keys),
        job_cutoff=job_cutoff,
        refuse_training_downloads=config.refuse_training_downloads,
    )


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this: without it, Nagle + delayed ACK add ~40 ms to each answer.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise UsageError(f"Cannot listen on {host}:{port}: {error.strerror}.") from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _uvicorn(rt: Runtime, host: str, port: int, log_level: str) -> uvicorn.Server:
    config = uvicorn.Config(
        build_app(rt),
        host=host,
        port=port,
        http="h11",  # fault injection reaches h11's transport to drop connections
        lifespan="off",
        log_level=log_level,
        access_log=False,
        timeout_keep_alive=30,
    )
    return uvicorn.Server(config)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class RunningEmulator:
    """A started emulator. Use as a context manager, or call ``stop()``."""

    def __init__(self, rt: Runtime, server: uvicorn.Server, thread: threading.Thread, host: str, port: int):
        self.runtime = rt
        self._server = server
        self._thread = thread
        self.host = host
        self.port = port
        self.root_url = f"http://{_url_host(host)}:{port}"
        self.base_url = self.root_url + "/v1"
        # For Together(base_url=...): the SDK adds /v1 itself (ftops.emulator.together).
        self.together_base_url = self.root_url + "/together"

    @property
    def store(self) -> Store:
        """The emulator's store, for tests that seed data without going through HTTP."""
        return self.runtime.store

    def requests(self) -> list[RequestRecord]:
        return self.runtime.log.records()

    def clear_requests(self) -> None:
        self.runtime.log.clear()

    def set_faults(self, spec: str | None) -> None:
        self.runtime.faults.set_spec(spec)

    def hold_mutation(self, k: int, path_glob: str = "*") -> MutationHold:
        """Hold the answer to the k-th mutating request from now on (``ftops.emulator.holds``),
        counting only those whose path matches ``path_glob``: wait on ``.reached``, kill the
        client, then ``.release()``."""
        self.runtime.hold.arm(k, path_glob)
        return self.runtime.hold

    def set_non_owner_keys(self, keys: frozenset[str] | set[str]) -> None:
        self.runtime.non_owner_keys.clear()
        self.runtime.non_owner_keys.update(keys)

    def set_revoked_keys(self, keys: frozenset[str] | set[str]) -> None:
        """Requests with one of these keys get 401, on every API the emulator serves."""
        self.runtime.revoked_keys.clear()
        self.runtime.revoked_keys.update(keys)

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self.runtime.store.close()

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_background(config: EmulatorConfig) -> RunningEmulator:
    """Start uvicorn in a daemon thread; return once it accepts connections."""
    rt = _runtime(config)
    sock = _bind(config.host, config.port)
    port = int(sock.getsockname()[1])
    server = _uvicorn(rt, config.host, port, "warning")
    failure: list[BaseException] = []

    def run() -> None:
        try:
            # A fresh loop in this thread; uvicorn installs no signal handlers off the main thread.
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as error:  # reported to the starting thread below
            failure.append(error)

    thread = threading.Thread(target=run, name=f"ftops-emulator-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if failure or not thread.is_alive():
            rt.store.close()
            raise UsageError(f"The emulator failed to start: {failure[0] if failure else 'stopped'}")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise UsageError("The emulator did not start listening in time.")
        time.sleep(0.01)
    return RunningEmulator(rt, server, thread, config.host, port)


def serve(config: EmulatorConfig, announce: bool = True) -> None:
    """Run in the foreground until interrupted (Ctrl-C)."""
    rt = _runtime(config)
    sock = _bind(config.host, config.port)
    port = int(sock.getsockname()[1])
    if announce:
        url = f"http://{_url_host(config.host)}:{port}/v1"
        print(f"ftops emulator listening on {url} (data: {config.data_dir}, speed {config.speed}x)")
        print(f"Any OpenAI SDK can use it: OpenAI(base_url={url!r}, api_key='any-key')")
        together = f"http://{_url_host(config.host)}:{port}/together"
        print(f"and the together SDK: Together(base_url={together!r}, api_key='any-key')", flush=True)
    try:
        _uvicorn(rt, config.host, port, "info").run(sockets=[sock])
    finally:
        rt.store.close()
