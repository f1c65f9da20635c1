"""The simulated run: phases, timeline, checkpoints and the result file, as pure functions."""

from __future__ import annotations

import csv
import io

from ftops.emulator import lifecycle
from ftops.emulator.lifecycle import Failure, JobPlan


def _plan(
    examples: int = 12, epochs: int = 3, failure: Failure | None = None, validation: bool = False
) -> JobPlan:
    return lifecycle.make_plan(
        fine_tuned_model="ft:gpt-4o-mini-2024-07-18:emulator::abcdefgh",
        examples=examples,
        tokens_per_epoch=500,
        n_epochs=epochs,
        batch_size=1,
        learning_rate_multiplier=2.0,
        has_validation=validation,
        seed=1,
        failure=failure,
    )


def test_phases_follow_the_service_order() -> None:
    plan = _plan()
    assert plan.total_steps == 36 and plan.trained_tokens == 1500
    times = [0, plan.validate_s, plan.run_start, plan.end - 0.001, plan.end]
    assert [lifecycle.phase_at(plan, v) for v in times] == [
        "validating_files",
        "queued",
        "running",
        "running",
        "succeeded",
    ]


def test_a_refused_file_fails_when_validation_ends() -> None:
    plan = _plan(failure=Failure("invalid_n_examples", "too few", "training_file"))
    assert lifecycle.phase_at(plan, plan.validate_s - 1) == "validating_files"
    assert lifecycle.phase_at(plan, plan.validate_s) == "failed"
    moments = lifecycle.timeline(plan, "ftjob-1", "file-1")
    assert moments[-1].level == "error" and moments[-1].v == plan.validate_s


def test_timeline_is_ordered_with_checkpoints_of_the_last_three_epochs() -> None:
    plan = _plan(epochs=5)
    moments = lifecycle.timeline(plan, "ftjob-1", "file-1")
    assert [m.v for m in moments] == sorted(m.v for m in moments)
    assert [m.checkpoint_step for m in moments if m.checkpoint_step] == [36, 48, 60]
    assert moments[-1].message == "The job has successfully completed"
    metrics = [m for m in moments if m.type == "metrics"]
    assert metrics[-1].data["step"] == plan.total_steps


def test_metric_events_are_capped_for_long_runs() -> None:
    plan = _plan(examples=10_000, epochs=3)
    assert len(lifecycle.metric_steps(plan)) <= lifecycle.MAX_METRIC_EVENTS + 1
    assert lifecycle.metric_steps(plan)[-1] == plan.total_steps


def test_result_csv_has_a_row_per_step_and_validation_columns_when_validated() -> None:
    plain = list(csv.DictReader(io.StringIO(lifecycle.result_csv(_plan()))))
    assert len(plain) == 36 and plain[0]["valid_loss"] == ""
    validated = list(csv.DictReader(io.StringIO(lifecycle.result_csv(_plan(validation=True)))))
    assert float(validated[0]["valid_loss"]) > 0


def test_plans_round_trip_through_json() -> None:
    plan = _plan(failure=Failure("c", "m", None))
    assert JobPlan.from_json(plan.to_json()) == plan
