"""The fault spec grammar: what it accepts, what it refuses, and how decisions fall."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ftops.emulator.faults import FaultInjector, Step, parse_spec
from ftops.errors import UsageError


def test_probabilities_latency_and_options() -> None:
    (rule,) = parse_spec("429:0.1, 500:0.05, latency:200ms, latency:1s:0.5, retry-after:2s, seed:3")
    # Unscoped: every API request the middleware sees, OpenAI's /v1 and Together's /together alike.
    assert rule.method == "*" and rule.path_glob == "*"
    assert rule.chances == (("429", 0.1), ("500", 0.05))
    assert rule.latencies == ((0.2, 1.0), (1.0, 0.5))
    assert (rule.retry_after_s, rule.seed) == (2.0, 3)


def test_scoped_sequences() -> None:
    first, second = parse_spec(
        "[POST /v1/fine_tuning/jobs] seq:ok,429,drop-after,latency:0.3s; [* /v1/files*] 500:1"
    )
    assert (first.method, first.path_glob) == ("POST", "/v1/fine_tuning/jobs")
    assert first.sequence == (Step(None), Step("429"), Step("drop-after"), Step(None, 0.3))
    assert first.matches("POST", "/v1/fine_tuning/jobs") and not first.matches("GET", "/v1/fine_tuning/jobs")
    assert second.matches("DELETE", "/v1/files/file-1") and not second.matches("GET", "/v1/models")


def test_a_sequence_ends_where_a_probability_starts() -> None:
    (rule,) = parse_spec("seq:429,500,drop:0.25")
    assert [step.fault for step in rule.sequence] == ["429", "500"]
    assert rule.chances == (("drop", 0.25),)


@pytest.mark.parametrize(
    "spec",
    ["429", "429:1.5", "teapot:0.1", "latency:fast", "seq:", "429:0.1,,500:0.1", "seed:x", "[GET] 429:1"],
)
def test_refuses_what_it_cannot_read(spec: str) -> None:
    with pytest.raises(UsageError) as refused:
        parse_spec(spec)
    assert spec in str(refused.value)


def test_empty_specs_mean_no_faults() -> None:
    assert parse_spec(None) == () == parse_spec("  ")
    assert FaultInjector("").decide("GET", "/v1/models").fault is None


def test_sequence_is_consumed_per_matching_request_then_ok() -> None:
    injector = FaultInjector("[POST /v1/files] seq:500,drop")
    assert injector.decide("GET", "/v1/files").fault is None  # not in scope: does not consume
    assert [injector.decide("POST", "/v1/files").fault for _ in range(4)] == ["500", "drop", None, None]


def test_first_fault_wins_and_latencies_add_up() -> None:
    injector = FaultInjector("latency:0.1s,429:1; latency:0.2s,500:1")
    decision = injector.decide("GET", "/v1/models")
    assert decision.fault == "429" and decision.latency_s == pytest.approx(0.3)


def test_a_bad_new_spec_keeps_the_old_one() -> None:
    injector = FaultInjector("500:1")
    with pytest.raises(UsageError):
        injector.set_spec("nonsense")
    assert injector.decide("GET", "/v1/x").fault == "500"


@given(st.text(max_size=60))
def test_any_text_parses_or_is_refused_with_a_usage_error(spec: str) -> None:
    with contextlib.suppress(UsageError):
        parse_spec(spec)
