"""Crash at every step (issue 8, item 1): a project of 3 datasets, 3 jobs and 2 model names;
``ftops apply --auto-approve --wait`` as its own process, SIGKILLed right after its k-th
mutating request reached the emulator (the emulator holds that answer back until the
kill: ``ftops.emulator.holds``), for every k; then apply again until it converges.

The first-apply matrix runs in the default suite; the retrain matrix (an edited dataset
read by two jobs: upload, old-file delete, two job creates, a check, two prunes) runs with
FTOPS_RELIABILITY_FULL=1 (a 5-step retrain matrix is in tests/e2e/test_crashes.py).
"""

from __future__ import annotations

import pytest
from e2e.support import Project, chat_examples

from .support import (
    Run,
    apply_until_converged,
    assert_account_matches,
    full_only,
    kill_after_mutation,
    use_big_manifest,
)

# One request at a time, so "after the k-th" is exact (parallel uploads are killed mid-flight
# by tests/e2e/test_crashes.py).
SEQUENTIAL_APPLY = ("apply", "--auto-approve", "--wait", "--parallelism", "1")
# 3 uploads, 3 job creates, 2 checks (chat): counted by the calibration test below.
FULL_APPLY_MUTATIONS = 8
# Retraining after `train` changed: 1 upload, 1 delete of the old upload, 2 job creates
# (a and c read train), 1 check (alpha), 1 prune of alpha's old model, 1 of c's old model.
RETRAIN_MUTATIONS = 7
RETRAINED_JOBS = ("jobs.a", "jobs.a", "jobs.b", "jobs.c", "jobs.c")  # the old runs stay, finished


def test_calibration_a_clean_apply_makes_the_counted_mutating_requests(project: Project, run: Run) -> None:
    use_big_manifest(project)
    result = run("apply", "--auto-approve", "--wait")
    assert result.code == 0, result.text
    assert len(project.mutating()) == FULL_APPLY_MUTATIONS, project.mutating()
    assert_account_matches(project, run)
    project.write_dataset("train", chat_examples("retrained"))
    project.emulator.clear_requests()
    result = run("apply", "--auto-approve", "--wait")
    assert result.code == 0, result.text
    assert len(project.mutating()) == RETRAIN_MUTATIONS, project.mutating()
    assert_account_matches(project, run, jobs=RETRAINED_JOBS)


@pytest.mark.parametrize("k", range(1, FULL_APPLY_MUTATIONS + 1))
def test_first_apply_killed_after_its_kth_mutating_request_converges(
    k: int, project: Project, run: Run
) -> None:
    use_big_manifest(project)
    seen = kill_after_mutation(project, k, *SEQUENTIAL_APPLY)
    assert seen == k, project.mutating()  # killed exactly there: nothing after the k-th
    result = apply_until_converged(project, run)
    assert result.code == 0, result.text
    assert_account_matches(project, run)


@pytest.mark.slow
@full_only
@pytest.mark.parametrize("k", range(1, RETRAIN_MUTATIONS + 1))
def test_retrain_killed_after_its_kth_mutating_request_converges(k: int, project: Project, run: Run) -> None:
    use_big_manifest(project)
    assert run("apply", "--auto-approve", "--wait").code == 0
    old_models = {project.state()["resources"]["models.alpha"]["model_id"]}
    project.write_dataset("train", chat_examples("retrained"))
    project.emulator.clear_requests()
    seen = kill_after_mutation(project, k, *SEQUENTIAL_APPLY)
    assert seen == k, project.mutating()
    result = apply_until_converged(project, run)
    assert result.code == 0, result.text
    assert_account_matches(project, run, jobs=RETRAINED_JOBS)
    assert not old_models & project.model_ids()  # the superseded model was pruned
