"""Lost responses through the CLI (issue 8, item 2): for each mutating endpoint an apply of
the 3/3/2 project meets, the emulator does the work and then drops the connection instead of
answering (``drop-after``), once in a first apply and once in a retrain. Each run finishes,
or fails with one clear error; the next run converges with no duplicate.

Upload parts and completion, and job cancels, are not reached by this project's small files
and fast jobs: tests/apply/test_executor.py covers them (test_a_large_upload_in_parts_survives_
lost_answers, test_a_lost_answer_to_a_cancel_is_harmless), with model deletes and job creates.
"""

from __future__ import annotations

import pytest
from e2e.support import Project, Result, chat_examples

from .support import Run, apply_until_converged, assert_account_matches, use_big_manifest

RETRAINED_JOBS = ("jobs.a", "jobs.a", "jobs.b", "jobs.c", "jobs.c")
ENDPOINTS = {
    "file-create": "[POST /v1/files] seq:ok,drop-after",
    "job-create": "[POST /v1/fine_tuning/jobs] seq:ok,drop-after",
    "check-chat": "[POST /v1/chat/completions] seq:drop-after",
    "file-delete": "[DELETE /v1/files/*] seq:drop-after",
    "model-delete": "[DELETE /v1/models/*] seq:drop-after",
}


def finished_or_failed_clearly(result: Result) -> None:
    if result.code == 0:
        return
    assert result.code == 1, result.text
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err
    assert len([line for line in result.err.splitlines() if line.startswith("Error:")]) == 1, result.err


@pytest.mark.parametrize("spec", ENDPOINTS.values(), ids=ENDPOINTS.keys())
def test_a_lost_response_is_never_a_duplicate(spec: str, project: Project, run: Run) -> None:
    use_big_manifest(project)
    lost = 0
    for edit in (None, "train"):
        if edit:
            project.write_dataset(edit, chat_examples("retrained"))
        project.emulator.clear_requests()
        project.emulator.set_faults(spec)
        finished_or_failed_clearly(run("apply", "--auto-approve", "--wait"))
        lost += sum(1 for r in project.emulator.requests() if r.fault == "drop-after")
        project.emulator.set_faults(None)
        converged = apply_until_converged(project, run)
        assert converged.code == 0, converged.text
    assert lost >= 1, "the fault never fired: the endpoint was not reached"
    assert_account_matches(project, run, jobs=RETRAINED_JOBS)
