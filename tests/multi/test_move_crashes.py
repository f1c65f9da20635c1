"""A move killed (SIGKILL) after each of its mutating requests, on either service, then applied
again: it converges with exactly one job on each provider and nothing trained twice. Moves from
OpenAI to Azure OpenAI and to Together AI, each service its own emulator."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import openai
import pytest

from ftops.emulator import RunningEmulator
from tests.e2e.support import FAKE_KEY, REPO, Result

from .conftest import AZURE_BASE, AZURE_KEY, OPENAI_BASE, TOGETHER_BASE, TOGETHER_KEY, TwoServices, job_yaml

Run = Callable[..., Result]
SLOW_MUTATIONS = ("[POST /v1/*] latency:0.15s; [DELETE /v1/*] latency:0.15s; "
                  "[POST /together/*] latency:0.15s; [PUT /together/*] latency:0.15s")
# The move's mutating requests, besides OpenAI's two deletions (the old upload, the old model):
# on Azure the upload, the job and the check; on Together the file's registration, its bytes,
# its preprocessing, the price estimate, the job and the check.
MOVES = [("azure", 5), ("together", 8)]


def jobs_of(emulator: RunningEmulator, key: str) -> list[str]:
    client = openai.OpenAI(api_key=key, base_url=emulator.base_url, max_retries=5)
    listed = client.fine_tuning.jobs.list(limit=100, extra_query={"metadata[ftops_project]": "e2e"})
    return sorted(j.metadata["ftops_resource"] for j in listed if j.metadata)


def together_jobs(emulator: RunningEmulator) -> list[str]:
    """The fine-tunes the Together side holds (no metadata there: their suffixes)."""
    from together import Together

    client = Together(api_key=TOGETHER_KEY, base_url=emulator.together_base_url, max_retries=5)
    try:
        return sorted(j.id for j in client.fine_tuning.list().data or [])
    finally:
        client.close()


def mutating(services: TwoServices) -> int:
    return sum(1 for emu in (services.openai, services.azure) for r in emu.requests() if r.mutating)


def apply_until_done(run: Run) -> Result:
    result = run("apply", "--auto-approve", "--wait")
    stale = re.search(r"the holder is gone.*ftops force-unlock (\S+)", result.err, re.DOTALL)
    if stale:  # the killed run left its lock; the error says how to release it
        assert run("force-unlock", stale.group(1)).code == 0
        result = run("apply", "--auto-approve", "--wait")
    return result


@pytest.mark.parametrize("services", [SLOW_MUTATIONS], indirect=True)
@pytest.mark.parametrize(("target", "k"), [(t, k) for t, n in MOVES for k in range(1, n + 1)])
def test_a_move_killed_after_each_mutating_request_converges(target: str, k: int, services: TwoServices,
                                                             run: Run) -> None:
    together = target == "together"
    alias = "tg" if together else "az"
    services.write_manifest(job_yaml("a", OPENAI_BASE), together=together)
    assert run("apply", "--auto-approve", "--wait").code == 0
    old_model = json.loads((services.root / "state" / "ftops.state.json").read_text())[
        "resources"]["models.alpha"]["model_id"]
    new_base = TOGETHER_BASE if together else AZURE_BASE
    services.write_manifest(job_yaml("a", new_base, alias), together=together)
    start = mutating(services)
    env = {**os.environ, "OPENAI_API_KEY": FAKE_KEY, "AZURE_OPENAI_API_KEY": AZURE_KEY,
           "TOGETHER_API_KEY": TOGETHER_KEY, "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, "-m", "ftops", "apply", "--auto-approve", "--wait"],
                               cwd=services.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.monotonic() + 60
    while mutating(services) - start < k and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert mutating(services) - start >= k, "the apply ended before its k-th mutating request"

    result = apply_until_done(run)
    assert result.code == 0, result.text
    assert jobs_of(services.openai, FAKE_KEY) == ["jobs.a"]  # the old job, never trained again
    resources = json.loads((services.root / "state" / "ftops.state.json").read_text())["resources"]
    assert sorted(resources) == [f"datasets.train@{alias}", f"jobs.a@{alias}", "models.alpha"]
    if together:  # the new one, once
        assert together_jobs(services.azure) == [resources["jobs.a@tg"]["job_id"]]
    else:
        assert jobs_of(services.azure, AZURE_KEY) == ["jobs.a"]
        assert resources["models.alpha"]["model_id"].startswith(f"ft:{AZURE_BASE}:")
    assert resources["models.alpha"]["model_id"] != old_model
    models = {m.id for m in openai.OpenAI(api_key=FAKE_KEY, base_url=services.openai.base_url).models.list()}
    assert old_model not in models
    final = run("plan", "--detailed-exitcode")
    assert final.code == 0, final.text
