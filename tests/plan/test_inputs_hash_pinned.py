"""The inputs hash of a job never moves: every job already created carries it (on OpenAI, in its
``ftops_inputs`` tag), and a hash that moved would plan each of them again as a paid replacement.
These values were computed by the ftops that first wrote them; a change that alters one is a
change of the canonical encoding, which is not allowed."""

from __future__ import annotations

import pytest

from ftops.plan.identity import job_inputs_hash
from ftops.resources import AUTO, Hyperparameters, Integration, Job, Method, freeze

HASHES = {"train": "sha256:" + "ab" * 32, "valid": "sha256:" + "cd" * 32}

PINNED = {
    "plain": (
        Job(name="chunsik", model="gpt-4.1-mini-2025-04-14", training_file="train"),
        "f801487fa4aed9d556ed19fefada96629e67bb408e1b2c43adb6e05300233f07",
    ),
    "every-input": (
        Job(
            name="full", model="ft:gpt-4o-mini-2024-07-18:org:x:abc", training_file="train",
            validation_file="valid",
            method=Method(type="dpo", hyperparameters=Hyperparameters(
                n_epochs=3, batch_size=AUTO, learning_rate_multiplier=0.5, beta=0.1)),
            suffix="chunsik", seed=42, metadata=freeze({"team": "kakao", "ünï": "cödé"}),
            integrations=(Integration(type="wandb", settings=freeze({"project": "p", "tags": ["a", "b"]})),),
        ),
        "d5a9613e9064453cff0151963e269c00d512c8f7a5286dafa619bd273f3e1972",
    ),
    "reinforcement": (
        Job(
            name="rl", model="o4-mini-2025-04-16", training_file="train",
            method=Method(
                type="reinforcement",
                hyperparameters=Hyperparameters(reasoning_effort="low", eval_interval=AUTO),
                grader=freeze({"type": "string_check", "name": "g", "input": "{{sample.output_text}}",
                               "reference": "{{item.answer}}", "operation": "eq"}),
            ),
        ),
        "4a1e191f750a4f22aba0f654642a614630179d80f939263b2aa349c58081968a",
    ),
}


@pytest.mark.parametrize("case", sorted(PINNED))
def test_the_inputs_hash_is_the_one_existing_jobs_carry(case: str) -> None:
    job, pinned = PINNED[case]
    assert job_inputs_hash(job, HASHES) == pinned
