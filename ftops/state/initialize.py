"""``ftops init``'s state part: check the backend, and notice (and with ``--migrate-state``
carry out) a move of the state from the backend it was in to the one the manifests name.

To know where the state *was*, init records the backend it last set up in
``.ftops/backend.json`` under the project root (as Terraform keeps
``.terraform/terraform.tfstate``): only the backend's type, path and options,
which never hold credentials. A project that never ran init but has the default
local state file is taken to have been on the default local backend, so the
first move to S3 or PostgreSQL finds it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftops.errors import StateCorruptError, UsageError
from ftops.resources import BackendConfig, freeze, thaw
from ftops.state.factory import open_storage
from ftops.state.snapshot import StateSnapshot
from ftops.state.transfer import Reachability, check_reachable, migrate_state

RECORD_PATH = Path(".ftops") / "backend.json"


@dataclass(frozen=True)
class InitResult:
    reachability: Reachability  # of the backend the manifests name
    previous: BackendConfig | None  # the backend the state was in, when it differs
    migrated: StateSnapshot | None  # the state copied by --migrate-state, if any

    def summary(self) -> str:
        lines = [self.reachability.summary(), *(f"note: {note}" for note in self.reachability.notes)]
        if self.migrated is not None:
            lines.append(
                f"Migrated the state (serial {self.migrated.serial}, lineage {self.migrated.lineage})."
            )
        return "\n".join(lines)


def init_backend(
    backend: BackendConfig,
    project_root: Path,
    *,
    migrate: bool = False,
    lock_timeout: float = 0.0,
) -> InitResult:
    """Check ``backend`` is reachable; if the state was in another backend, copy it over when
    ``migrate`` is set, else refuse while the old backend still holds the only state."""
    previous = recorded_backend(project_root)
    default = BackendConfig()
    if previous is None and backend != default and (project_root / default.path).exists():
        previous = default
    target = open_storage(backend, project_root)
    try:
        reachability = check_reachable(target)
        migrated = None
        moved = previous is not None and previous != backend
        if previous is not None and moved:
            source = open_storage(previous, project_root)
            try:
                if migrate:
                    migrated = migrate_state(source, target, lock_timeout=lock_timeout)
                    reachability = check_reachable(target)
                elif reachability.serial is None and source.read() is not None:
                    raise UsageError(
                        f"the state backend changed from {source.describe()} to {target.describe()}, "
                        "and the state is still in the old one",
                        hint="Run `ftops init --migrate-state` to copy it (lineage and serial kept).",
                    )
            finally:
                source.close()
        record_backend(project_root, backend)
        return InitResult(reachability=reachability, previous=previous if moved else None, migrated=migrated)
    finally:
        target.close()


def recorded_backend(project_root: Path) -> BackendConfig | None:
    path = project_root / RECORD_PATH
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise StateCorruptError(
            f"{RECORD_PATH}: unreadable ({error})", hint="Delete it and run `ftops init`."
        ) from error
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("type"), str)
        or not isinstance(data.get("path"), str)
        or not isinstance(data.get("options"), dict)
    ):
        raise StateCorruptError(f"{RECORD_PATH}: malformed", hint="Delete it and run `ftops init`.")
    return BackendConfig(type=data["type"], path=data["path"], options=freeze(data["options"]))


def record_backend(project_root: Path, backend: BackendConfig) -> None:
    path = project_root / RECORD_PATH
    path.parent.mkdir(mode=0o700, exist_ok=True)
    document = {"type": backend.type, "path": backend.path, "options": thaw(backend.options)}
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temp, path)
