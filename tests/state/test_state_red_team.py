"""The red-team rounds of issue 22, repeatable: on each backend, rounds of two ``ftops apply
--wait`` processes started at once on a fresh project, and rounds of applies under 30%
injected 500s and lost answers (the work done, the answer dropped) until they converge.
After every round the account must hold exactly one upload per dataset and one job per
declared job: a duplicate is what the issue was about, and the test counts them.

Long: runs with FTOPS_RELIABILITY_FULL=1 (``@pytest.mark.slow``), like the long crash matrix;
rounds from FTOPS_RED_TEAM_ROUNDS ("CONCURRENT,FAULTS", default "10,5"). With ``-s`` it
prints its counts, which docs/reliability.md quotes.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from tests_state_support import BackendUnderTest

from ftops.emulator import EmulatorConfig, start_background

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the end-to-end helpers
from e2e.support import SPEED, Project, make_project, spawn

FULL = os.environ.get("FTOPS_RELIABILITY_FULL") == "1"
DECLARED_FILES, DECLARED_JOBS = 3, 2  # in e2e.support.MANIFEST
# 30% 500s on every request, and on creates 30% of answers lost after the work is done.
FAULTS = "500:0.3; [POST /v1/files] drop-after:0.3; [POST /v1/fine_tuning/jobs] drop-after:0.3"
APPLY = ("apply", "--auto-approve", "--wait", "--lock-timeout", "300s")


def rounds() -> tuple[int, int]:
    concurrent, _, faults = os.environ.get("FTOPS_RED_TEAM_ROUNDS", "10,5").partition(",")
    return int(concurrent), int(faults or 0)


def backend_project(backend: BackendUnderTest, root: Path, faults: str | None) -> Project:
    import uuid

    emulator = start_background(EmulatorConfig(data_dir=root / "emulator", speed=SPEED, faults=faults))
    project = make_project(root / "project", emulator)
    manifest = project.root / "manifests" / "project.yaml"
    text = manifest.read_text()
    start, end = text.index("backend:\n"), text.index("datasets:\n")
    if backend.type == "local":
        block = f"backend:\n  type: local\n  path: {backend.path}\n"
    else:
        options = dict(backend.options)
        if backend.type == "s3":
            options["key"] = f"{uuid.uuid4().hex}/ftops.state.json"  # a fresh state per round
        else:
            options["name"] = uuid.uuid4().hex
        block = f"backend:\n  type: {backend.type}\n" + "".join(f"  {k}: {v}\n" for k, v in options.items())
    manifest.write_text(text[:start] + block + text[end:])
    return project


def duplicates(project: Project) -> int:
    """Uploads of one dataset, or jobs of one (resource, inputs), beyond the first."""
    files = Counter(f.filename for f in project.our_files())
    jobs = Counter(
        (j.metadata.get("ftops_resource"), j.metadata.get("ftops_inputs")) for j in project.our_jobs()
    )
    return sum(n - 1 for n in files.values()) + sum(n - 1 for n in jobs.values())


@pytest.mark.slow
@pytest.mark.skipif(not FULL, reason="long version: set FTOPS_RELIABILITY_FULL=1")
def test_red_team_rounds_never_upload_or_train_twice(
    backend: BackendUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-red-team")
    monkeypatch.setenv("NO_COLOR", "1")
    concurrent, faulty = rounds()
    started = time.monotonic()
    found, failed_runs, exits, faults = 0, 0, Counter[int](), Counter[str]()
    for n in range(concurrent):
        project = backend_project(backend, tmp_path / f"concurrent-{n}", None)
        try:
            procs = [spawn(project, *APPLY) for _ in range(2)]
            outputs = [p.communicate(timeout=600) for p in procs]
            for proc, (out, err) in zip(procs, outputs, strict=True):
                exits[proc.returncode] += 1
                assert proc.returncode == 0, out + err
                assert "Traceback" not in err
            found += duplicates(project)
            assert len(project.our_files()) == DECLARED_FILES
            assert len({j.metadata.get("ftops_resource") for j in project.our_jobs()}) == DECLARED_JOBS
        finally:
            project.emulator.stop()
    for n in range(faulty):
        project = backend_project(backend, tmp_path / f"faults-{n}", FAULTS)
        try:
            for _ in range(6):  # a run may fail with one clear error under 30% faults; the next goes on
                proc = spawn(project, *APPLY)
                out, err = proc.communicate(timeout=600)
                exits[proc.returncode] += 1
                assert "Traceback" not in err and "internal error" not in err, err
                if proc.returncode == 0:
                    break
                failed_runs += 1
            else:
                pytest.fail(f"round {n} did not converge in 6 applies: {err}")
            faults.update(r.fault for r in project.emulator.requests() if r.fault in ("500", "drop-after"))
            found += duplicates(project)
        finally:
            project.emulator.stop()
    print(
        f"\nred team, {backend.type}: {concurrent} rounds of 2 concurrent applies, {faulty} rounds under "
        f"faults ({dict(faults)} injected; {failed_runs} runs failed cleanly and were rerun); "
        f"exit codes {dict(exits)}; "
        f"{found} duplicates; {time.monotonic() - started:.0f} s"
    )
    assert found == 0
    assert not faulty or faults["drop-after"] > 0, "the lost answers never fired"
