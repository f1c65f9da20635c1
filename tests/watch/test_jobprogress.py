"""A job's progress from its newest events: step / total, loss, ETA; nothing the service sends breaks it."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ftops.apply.jobprogress import JobProgress, duration_text, eta_text, progress_of
from ftops.plan.observed import JobError, ObservedJob
from ftops.provider.openai.convert import job_event
from ftops.provider.types import JobEvent
from ftops.resources import freeze


class Obj(dict[str, Any]):
    """A JSON object read by attribute, as the OpenAI adapter reads the service's events."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def service_event(event_id: str, created_at: int, message: str, kind: str = "message",
                  data: Any = None) -> JobEvent:
    """An event as OpenAI sends it, read by the adapter into a neutral ``JobEvent``."""
    return job_event(Obj({"id": event_id, "object": "fine_tuning.job.event", "created_at": created_at,
                          "level": "info", "message": message, "type": kind, "data": data}))


def job(status: str = "running", **extra: Any) -> ObservedJob:
    fields: dict[str, Any] = {"validation_file": None, "fine_tuned_model": None, **extra}
    return ObservedJob(id="ftjob-1", status=status, model="gpt-4o-mini-2024-07-18", training_file="file-1",
                       metadata=freeze({}), created_at=1, **fields)


def metrics(step: int, total: int, loss: float) -> JobEvent:
    return service_event(f"e{step}", step, f"Step {step}/{total}", "metrics",
                         {"step": step, "total_steps": total, "train_loss": loss})


def message(text: str) -> JobEvent:
    return service_event(text, 0, text)


def test_the_newest_metrics_event_gives_step_total_and_loss() -> None:
    events = (message("Checkpoint created at step 40"), metrics(40, 90, 0.75), metrics(30, 90, 0.9))
    progress = progress_of(job(estimated_finish=1_000), events)
    assert (progress.step, progress.total_steps, progress.train_loss) == (40, 90, 0.75)
    assert progress.message == "Checkpoint created at step 40"
    assert progress.estimated_finish == 1_000
    assert progress.steps_text == "40/90 steps" and progress.fraction is not None
    assert abs(progress.fraction - 40 / 90) < 1e-9


def test_without_a_metrics_event_the_previous_step_still_holds() -> None:
    before = progress_of(job(), (metrics(10, 90, 1.5),))
    after = progress_of(job(), (message("Fine-tuning job is paused"),), before)
    assert (after.step, after.total_steps, after.train_loss) == (10, 90, 1.5)
    assert after.message == "Fine-tuning job is paused"


def test_a_succeeded_job_is_at_its_last_step_and_has_no_eta() -> None:
    seen = progress_of(job(estimated_finish=5), (metrics(85, 90, 0.2),))
    done = progress_of(job("succeeded", estimated_finish=5, trained_tokens=1234, fine_tuned_model="ft:x"),
                       (), seen)
    assert (done.step, done.total_steps, done.estimated_finish) == (90, 90, None)
    assert done.trained_tokens == 1234 and done.fine_tuned_model == "ft:x"


def test_a_failed_job_carries_its_error() -> None:
    failed = progress_of(job("failed", error=JobError(code="invalid_training_file", message="bad file",
                                                       param=None)))
    assert failed.error == "bad file" and failed.step is None and failed.fraction is None


def test_times_are_short_and_relative() -> None:
    assert [duration_text(s) for s in (0, 45, 245, 7_620)] == ["0s", "45s", "4m 05s", "2h 07m"]
    assert eta_text(None, 0) == ""
    assert eta_text(1_000, 755) == "ETA in 4m 05s"
    assert eta_text(1_000, 1_000.5) == "ETA any moment"
    assert eta_text(3_600, 3_000, absolute=True) == "ETA 01:00:00 UTC (in 10m 00s)"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=10,
)


@given(st.lists(st.tuples(st.sampled_from(["metrics", "message", "other"]),
                          st.dictionaries(st.sampled_from(["step", "total_steps", "train_loss", "x"]),
                                          json_values, max_size=4)), max_size=6),
       st.sampled_from(["validating_files", "queued", "running", "succeeded", "failed", "paused"]))
def test_whatever_the_events_hold_progress_is_well_formed(events: list[tuple[str, dict[str, Any]]],
                                                          status: str) -> None:
    """Event data comes from the service: odd values are ignored, never raised on."""
    parsed = tuple(service_event(str(i), i, "m", kind, data) for i, (kind, data) in enumerate(events))
    progress = progress_of(job(status), parsed)
    assert isinstance(progress, JobProgress)
    assert progress.step is None or isinstance(progress.step, int)
    assert progress.train_loss is None or isinstance(progress.train_loss, float)
    fraction = progress.fraction
    assert fraction is None or 0.0 <= fraction <= 1.0
