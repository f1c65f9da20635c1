"""A real PostgreSQL server for the tests: initdb into a temporary folder, pg_ctl start on
a loopback port, pg_ctl stop at the end.

Debian's ``postgresql`` package provides the binaries (in /usr/lib/postgresql/*/bin).
PostgreSQL refuses to run as root, so as root the server runs as the ``postgres``
user the package creates (subprocess's ``user=``/``group=``), in a folder it owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(Exception):
    """Why no server could be started here."""


@dataclass
class PostgresServer:
    bin_dir: Path
    base: Path
    port: int
    run_as: str | None

    @property
    def conninfo(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=ftops dbname=postgres connect_timeout=10"

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.base, ignore_errors=True)

    def kill(self) -> None:
        """Stop at once, as a crash would (every session ends without a word)."""
        _run(self, [str(self.bin_dir / "pg_ctl"), "-D", str(self.base / "data"), "-m", "immediate", "stop"])

    def restart(self) -> None:
        """``pg_ctl -m immediate stop; pg_ctl start`` on the same port (issue 22's restart)."""
        self.kill()
        started = self.start()
        if started.returncode != 0:
            raise PostgresUnavailable(f"pg_ctl start failed: {started.stderr.strip()[-500:]}")

    def start(self) -> subprocess.CompletedProcess[str]:
        # fsync off: the tests need no durability against a power cut. Commits stay synchronous
        # (cheap without fsync): a restart (``kill``) must not lose a committed lock row.
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.base} "
            "-c fsync=off -c synchronous_commit=on -c full_page_writes=off"
        )
        return _run(
            self,
            [
                str(self.bin_dir / "pg_ctl"), "-D", str(self.base / "data"), "-l", str(self.base / "log"),
                "-o", options, "-w", "-t", "60", "start",
            ],
        )


def find_bin_dir() -> Path:
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not candidates:
        raise PostgresUnavailable("no initdb found (install Debian's postgresql package)")
    return Path(candidates[-1]).parent


def start_postgres() -> PostgresServer:
    bin_dir = find_bin_dir()
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError as error:
            raise PostgresUnavailable(
                "running as root and there is no 'postgres' user to run the server"
            ) from error
        run_as = "postgres"
    base = Path(tempfile.mkdtemp(prefix="ftops-pg-"))
    if run_as:
        shutil.chown(base, user=run_as, group=run_as)
    server = PostgresServer(bin_dir=bin_dir, base=base, port=0, run_as=run_as)
    data = base / "data"
    init = _run(
        server,
        [str(bin_dir / "initdb"), "-D", str(data), "-U", "ftops", "--auth=trust", "-E", "UTF8", "--no-sync"],
    )
    if init.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        raise PostgresUnavailable(f"initdb failed: {init.stderr.strip()[-500:]}")
    last_error = ""
    for _ in range(5):  # a port picked free may be taken before the server binds it
        server.port = _free_port()
        started = server.start()
        if started.returncode == 0:
            return server
        log = (base / "log").read_text(errors="replace") if (base / "log").exists() else ""
        last_error = (started.stderr + log).strip()[-800:]
    shutil.rmtree(base, ignore_errors=True)
    raise PostgresUnavailable(f"pg_ctl start failed: {last_error}")


def _run(server: PostgresServer, argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=120,
        user=server.run_as,
        group=server.run_as,
        cwd=server.base,
        env={**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"},
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
