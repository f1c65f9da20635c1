"""Each answer of the service that ends a job before it trains, through the CLI against an
emulator configured to give it: one error line naming the cause and what to do, the
service's own words as the hint, exit 1, and the model name left where it was."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .support import FAKE_KEY, World

Make = Callable[..., World]

REFUSALS = [
    (
        "no-access",
        "Error: create job jobs.chunsik: this organization has no fine-tuning access "
        "(fine_tuning_not_available): ask an owner of the organization to check its fine-tuning "
        "access",
        "(HTTP 403)",
    ),
    (
        "not-tunable",
        "Error: create job jobs.chunsik: the base model cannot be fine-tuned (model_not_available): "
        "it is shut down, not offered for fine-tuning, or not open to this organization; change the "
        "job's model to a fine-tunable successor",
        "(HTTP 400)",
    ),
    (
        "daily-quota",
        "Error: create job jobs.chunsik: the organization's daily quota of fine-tuning jobs for this "
        "model is used up (daily_rate_limit_exceeded): nothing was created; apply again once jobs "
        "created in the last 24 hours fall out of the quota",
        "(HTTP 429)",
    ),
]


@pytest.mark.parametrize(("refusal", "line", "status"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_refused_job_creation_is_one_line_with_cause_and_remedy(
    world_factory: Make, refusal: str, line: str, status: str
) -> None:
    world = world_factory(refusals=(refusal,))
    result = world.run("apply", "--auto-approve", "--wait")
    assert result.code == 1, result.text
    errors = [text for text in result.err.splitlines() if text.startswith("Error:")]
    assert len(errors) == 1, result.err
    assert errors[0].startswith(line) and errors[0].endswith(status), errors[0]
    hint = result.err.splitlines()[result.err.splitlines().index(errors[0]) + 1]
    assert hint.startswith("  The service said: ")
    assert "Traceback" not in result.text and FAKE_KEY not in result.text
    # Refused once, not retried: none of these is cured by asking again within the run.
    creates = [r for r in world.emulator.requests() if (r.method, r.path) == ("POST", "/v1/fine_tuning/jobs")]
    assert len(creates) == 1
    state = world.state()
    assert "datasets.train" in state and "models.chunsik" not in state


def test_a_job_that_fails_file_validation_is_explained_and_the_name_not_promoted(
    world_factory: Make,
) -> None:
    world = world_factory(refusals=("invalid-file",))
    result = world.run("apply", "--auto-approve", "--wait")
    assert result.code == 1, result.text
    errors = [text for text in result.err.splitlines() if text.startswith("Error:")]
    assert len(errors) == 1
    job_id = world.state()["jobs.chunsik"]["job_id"]
    assert errors[0] == (
        f"Error: jobs.chunsik ({job_id}) failed: the training file failed the service's validation "
        "(invalid_training_file): run `ftops validate` to check the datasets offline, fix the file and "
        "apply again (a changed file is uploaded anew and trains a new job; `--replace` retries an "
        "unchanged one)"
    )
    assert "  The service said: The job failed due to an invalid training file" in result.err
    assert "models.chunsik" not in world.state()


def test_a_refusal_scoped_to_another_model_leaves_this_job_alone(world_factory: Make) -> None:
    world = world_factory(refusals=("not-tunable:gpt-4.1-mini",))
    result = world.run("apply", "--auto-approve", "--wait")
    assert result.code == 0, result.text
    assert world.state()["models.chunsik"]["model_id"].startswith("ft:gpt-4o-mini-2024-07-18:")
