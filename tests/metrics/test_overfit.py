"""The overfitting rule on synthetic curves: the shapes people meet, and properties of the rule."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from ftops.metrics import StepMetrics, detect_overfitting
from ftops.metrics.overfit import MIN_POINTS, smooth, smoothing_window

STEPS = 100


def curves(train: list[float], valid: list[float | None]) -> list[StepMetrics]:
    return [StepMetrics(step=i + 1, train_loss=t, train_accuracy=None, valid_loss=v)
            for i, (t, v) in enumerate(zip(train, valid, strict=True))]


def falling(start: float = 2.0, end: float = 0.2, n: int = STEPS) -> list[float]:
    return [end + (start - end) * math.exp(-4 * i / (n - 1)) for i in range(n)]


def u_shape(low_at: float, n: int = STEPS, rise_to: float = 1.2) -> list[float]:
    """Falls to 0.5 at ``low_at`` (fraction of training), then climbs to ``rise_to``."""
    turn = int(low_at * (n - 1))
    down = [2.0 - 1.5 * i / turn for i in range(turn)]
    up = [0.5 + (rise_to - 0.5) * (i / (n - 1 - turn)) for i in range(n - turn)]
    return down + up


def noisy(values: list[float], amplitude: float, seed: int = 7) -> list[float]:
    rng = random.Random(seed)
    return [max(0.01, v + rng.uniform(-amplitude, amplitude)) for v in values]


def test_falling_validation_is_not_overfitting() -> None:
    verdict = detect_overfitting(curves(falling(), falling(2.2, 0.3)))
    assert verdict.judged and not verdict.overfitting
    assert verdict.message.startswith("No sign of overfitting")


def test_rising_validation_with_falling_training_is_overfitting() -> None:
    verdict = detect_overfitting(curves(falling(), u_shape(0.5)))
    assert verdict.overfitting
    assert verdict.best_step is not None and 45 <= verdict.best_step <= 55
    assert verdict.rise is not None and verdict.rise > 1.0  # 0.5 -> about 1.15 smoothed
    assert "Overfitting" in verdict.message and f"step {verdict.best_step}" in verdict.message


def test_flat_curves_are_not_overfitting() -> None:
    verdict = detect_overfitting(curves([1.0] * STEPS, [1.1] * STEPS))
    assert verdict.judged and not verdict.overfitting
    assert verdict.rise == 0.0


def test_noisy_falling_curves_do_not_raise_the_alarm() -> None:
    # noise of +-0.15 on a loss ending near 0.3: single points jump 50%, the smoothed series does not
    verdict = detect_overfitting(curves(noisy(falling(), 0.1), noisy(falling(2.2, 0.3), 0.15, seed=3)))
    assert not verdict.overfitting


def test_noisy_u_shape_is_still_overfitting() -> None:
    verdict = detect_overfitting(curves(noisy(falling(), 0.05), noisy(u_shape(0.4), 0.1)))
    assert verdict.overfitting


def test_minimum_inside_the_last_quarter_is_not_overfitting() -> None:
    # the low is at 85% of training: a late uptick, not a trend
    verdict = detect_overfitting(curves(falling(), u_shape(0.85, rise_to=0.8)))
    assert not verdict.overfitting
    assert verdict.best_step is not None and verdict.best_step > 75


def test_small_rise_under_the_threshold_is_not_overfitting() -> None:
    verdict = detect_overfitting(curves(falling(), u_shape(0.5, rise_to=0.53)))  # +6%
    assert not verdict.overfitting and verdict.judged


def test_rising_validation_without_falling_training_is_named_but_not_overfitting() -> None:
    verdict = detect_overfitting(curves([0.5] * STEPS, u_shape(0.5)))
    assert verdict.judged and not verdict.overfitting
    assert "did not fall" in verdict.message


def test_too_few_validation_points_are_not_judged() -> None:
    valid: list[float | None] = [None] * STEPS
    for index in range(0, STEPS, 20):  # 5 evaluations
        valid[index] = 1.0 + index / 50
    verdict = detect_overfitting(curves(falling(), valid))
    assert not verdict.judged and not verdict.overfitting
    assert f"need {MIN_POINTS}" in verdict.message


def test_sparse_validation_points_are_judged_on_their_own_steps() -> None:
    # validation every 5th step (as the service does on long jobs), U-shaped
    shape = u_shape(0.5)
    valid: list[float | None] = [shape[i] if i % 5 == 0 else None for i in range(STEPS)]
    assert detect_overfitting(curves(falling(), valid)).overfitting


def test_smoothing_window_is_odd_and_at_least_three() -> None:
    for points in range(1, 500):
        window = smoothing_window(points)
        assert window >= 3 and window % 2 == 1


def test_smooth_keeps_constants_and_length() -> None:
    assert smooth([2.0] * 9, 3) == [2.0] * 9
    assert smooth([0.0, 3.0, 0.0], 3) == [1.5, 1.0, 1.5]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0.01, max_value=10.0), min_size=MIN_POINTS, max_size=200))
def test_non_increasing_validation_is_never_overfitting(values: list[float]) -> None:
    valid = sorted(values, reverse=True)
    train = [v * 0.8 for v in valid]
    assert not detect_overfitting(curves(train, list(valid))).overfitting


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0.01, 10.0), st.one_of(st.none(), st.floats(0.01, 10.0))), max_size=120))
def test_any_curves_give_a_verdict_with_a_message(pairs: list[tuple[float, float | None]]) -> None:
    verdict = detect_overfitting(curves([t for t, _ in pairs], [v for _, v in pairs]))
    assert verdict.message
    assert verdict.judged == (sum(v is not None for _, v in pairs) >= MIN_POINTS)
    if verdict.overfitting:
        assert verdict.rise is not None and verdict.rise > 0.10
