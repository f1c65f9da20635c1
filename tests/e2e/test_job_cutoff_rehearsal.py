"""Rehearsing OpenAI's end of new fine-tuning jobs (2027-01-06) on the emulator, through the CLI:
the plan warns before the day and refuses on it, and a served emulator refuses the create as the
service will, which ftops explains in one line."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .support import Project, Result

Run = Callable[..., Result]


def test_a_rehearsal_shows_the_cutoff_warning_then_the_refusal(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FTOPS_JOB_CUTOFF", raising=False)
    monkeypatch.setenv("FTOPS_TODAY", "2026-12-20")
    near = run("plan", "--provider", "emulator")
    assert near.code == 0, near.text
    assert (
        "the provider stops accepting new fine-tuning jobs on 2027-01-06 (17 days); "
        "a job not created by then cannot be created after"
    ) in near.out

    monkeypatch.setenv("FTOPS_TODAY", "2027-01-06")
    refused = run("plan", "--provider", "emulator")
    assert refused.code == 1
    assert "Error: jobs.a: the provider accepts no new fine-tuning jobs since 2027-01-06" in refused.err


# The manifests' provider has a base_url of its own, which the planner does not assume to be
# OpenAI: the cutoff is met at apply, as through a gateway in front of the service.
@pytest.mark.parametrize("project", [{"job_cutoff": "2026-11-24"}], indirect=True)
def test_a_served_emulator_refuses_the_create_and_ftops_explains_it(run: Run, project: Project) -> None:
    applied = run("apply", "--auto-approve", "--wait")
    assert applied.code == 1
    assert "this organization has no fine-tuning access (fine_tuning_not_available)" in applied.err
    assert "new self-serve fine-tuning jobs ended on 2026-11-24" in applied.err
    assert "Traceback" not in applied.err
    posts = [r.path for r in project.emulator.requests() if r.method == "POST"]
    assert posts[-1] == "/v1/fine_tuning/jobs"
