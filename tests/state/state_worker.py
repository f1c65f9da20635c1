"""A separate process that uses a storage, for the cross-process tests.

Run as: python state_worker.py SPEC_JSON ACTION [ARGS...]; SPEC_JSON is
{"type", "path", "options", "root"} for ``open_storage``.

Actions:
  hold              take the lock, print its id, hold it until stdin closes, then unlock
  crash             take the lock, print its id, and exit at once without unlocking
  increment N KEY   N times: lock (waiting) -> read -> add one to KEY -> write -> unlock
  increment-unlocked N KEY   the same with no lock, redoing an edit whose write was refused
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ftops.errors import StateConflictError
from ftops.resources import BackendConfig
from ftops.state import locked, new_snapshot, open_storage


def main() -> None:
    spec = json.loads(sys.argv[1])
    action = sys.argv[2]
    config = BackendConfig(
        type=spec["type"], path=spec.get("path", "state/ftops.state.json"), options=spec.get("options", {})
    )
    storage = open_storage(config, Path(spec.get("root", ".")))
    if action in ("hold", "crash"):
        info = storage.lock(action, timeout=float(os.environ.get("WORKER_LOCK_TIMEOUT", "0")))
        print(info.id, flush=True)
        if action == "crash":
            os._exit(0)
        sys.stdin.read()
        storage.unlock(info.id)
        storage.close()
        return
    if action == "increment":
        count, key = int(sys.argv[3]), sys.argv[4]
        for _ in range(count):
            with locked(storage, "increment", timeout=120):
                current = storage.read() or new_snapshot("conformance")
                resources = dict(current.resources)
                record = resources.get(key, {"count": 0})
                resources[key] = {"count": record["count"] + 1, "pid": os.getpid()}
                storage.write(current.with_resources(resources))
        storage.close()
        return
    if action == "increment-unlocked":
        # No lock at all: only the conditional write stands between racing writers.
        count, key = int(sys.argv[3]), sys.argv[4]
        sys.stdin.readline()  # start together with the other writers, for a real race
        done = 0
        while done < count:
            current = storage.read() or new_snapshot("conformance")
            resources = dict(current.resources)
            record = resources.get(key, {"count": 0})
            resources[key] = {"count": record["count"] + 1, "pid": os.getpid()}
            try:
                storage.write(current.with_resources(resources))
            except StateConflictError:
                continue  # someone else wrote first: read again and redo the edit
            done += 1
        storage.close()
        return
    raise SystemExit(f"unknown action {action}")


if __name__ == "__main__":
    main()
