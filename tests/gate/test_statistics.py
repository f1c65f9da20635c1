"""The gate's statistics against the published-method table of the design notes, and known cases."""

from __future__ import annotations

import random

import pytest

from ftops.gate.statistics import (
    PairedCounts,
    Verdict,
    bootstrap_bca,
    compare_pass_fail,
    compare_scores,
    newcombe_interval,
    smallest_detectable_regression,
)

# Newcombe (1998) method 10, continuity-corrected phi, 95%, candidate - baseline, computed
# independently of ftops (docs/evaluations.md cites the method). Columns: a, b, c, d (a: both pass,
# b: only the baseline passes, c: only the candidate passes, d: both fail), difference, interval,
# verdict with margin 0.1.
TABLE = [
    ((20, 0, 0, 0), 0.000, (-0.1611, 0.1611), Verdict.INCONCLUSIVE),
    ((100, 0, 0, 0), 0.000, (-0.0370, 0.0370), Verdict.PASS),
    ((75, 0, 0, 25), 0.000, (-0.0267, 0.0267), Verdict.PASS),
    ((50, 25, 0, 25), -0.250, (-0.3328, -0.1606), Verdict.FAIL),
    ((8, 1, 1, 0), 0.000, (-0.3237, 0.3237), Verdict.INCONCLUSIVE),
    ((40, 6, 3, 51), -0.030, (-0.0904, 0.0310), Verdict.PASS),
    ((12, 5, 1, 2), -0.200, (-0.4260, 0.0518), Verdict.INCONCLUSIVE),
]


def _results(cells: tuple[int, int, int, int]) -> tuple[list[bool], list[bool]]:
    a, b, c, d = cells
    baseline = [True] * a + [True] * b + [False] * c + [False] * d
    candidate = [True] * a + [False] * b + [True] * c + [False] * d
    return baseline, candidate


@pytest.mark.parametrize(("cells", "difference", "interval", "verdict"), TABLE)
def test_newcombe_interval_matches_the_table(cells: tuple[int, int, int, int], difference: float,
                                             interval: tuple[float, float], verdict: Verdict) -> None:
    got_difference, lower, upper = newcombe_interval(PairedCounts(*cells))
    assert round(got_difference, 3) == difference
    assert (round(lower, 4), round(upper, 4)) == interval
    baseline, candidate = _results(cells)
    comparison = compare_pass_fail(baseline, candidate, margin=0.1)
    assert comparison.verdict is verdict
    assert comparison.method == "newcombe"
    assert (round(comparison.lower, 4), round(comparison.upper, 4)) == interval


def test_identical_results_on_a_large_set_pass() -> None:
    results = [True] * 180 + [False] * 20
    assert compare_pass_fail(results, results, margin=0.05).verdict is Verdict.PASS


def test_a_clear_regression_fails() -> None:
    baseline = [True] * 60
    candidate = [True] * 30 + [False] * 30
    comparison = compare_pass_fail(baseline, candidate, margin=0.1)
    assert comparison.verdict is Verdict.FAIL
    assert comparison.baseline_score == 1.0 and comparison.candidate_score == 0.5


def test_a_tiny_set_is_inconclusive_even_when_identical() -> None:
    assert compare_pass_fail([True] * 5, [True] * 5, margin=0.1).verdict is Verdict.INCONCLUSIVE


def test_smallest_detectable_regression_is_the_all_pass_half_width() -> None:
    assert round(smallest_detectable_regression(20), 4) == 0.1611
    assert round(smallest_detectable_regression(100), 4) == 0.0370
    assert smallest_detectable_regression(0) == 1.0


def test_paired_counts_refuse_unequal_lengths() -> None:
    with pytest.raises(ValueError):
        PairedCounts.of([True], [True, False])


def test_scores_of_zero_and_one_use_the_exact_interval() -> None:
    comparison = compare_scores([1.0] * 100, [1.0] * 100, margin=0.1)
    assert comparison.method == "newcombe" and comparison.verdict is Verdict.PASS


def test_bootstrap_never_proves_anything_from_a_few_identical_cases() -> None:
    scores = [0.5, 0.75, 0.5, 1.0, 0.25]
    comparison = compare_scores(scores, scores, margin=0.1)
    assert comparison.method == "bootstrap-bca"
    assert comparison.verdict is Verdict.INCONCLUSIVE
    assert comparison.lower <= -smallest_detectable_regression(5) + 1e-12


def test_bootstrap_passes_a_close_candidate_and_fails_a_clear_regression() -> None:
    rng = random.Random(7)
    baseline = [rng.choice([0.5, 0.75, 1.0]) for _ in range(300)]
    close = [min(1.0, max(0.0, s + rng.choice([-0.25, 0.0, 0.0, 0.25]))) for s in baseline]
    worse = [max(0.0, s - 0.5) for s in baseline]
    assert compare_scores(baseline, close, margin=0.1).verdict is Verdict.PASS
    assert compare_scores(baseline, worse, margin=0.1).verdict is Verdict.FAIL


def test_bootstrap_is_deterministic_and_agrees_with_scipy_bca() -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = random.Random(11)
    differences = [rng.choice([-0.5, -0.25, 0.0, 0.0, 0.25]) for _ in range(120)]
    first = bootstrap_bca(differences)
    assert bootstrap_bca(differences) == first
    reference = stats.bootstrap((differences,), lambda x, axis: x.mean(axis=axis), n_resamples=10_000,
                                method="BCa", confidence_level=0.95, random_state=1).confidence_interval
    assert first[0] == pytest.approx(reference.low, abs=0.01)
    assert first[1] == pytest.approx(reference.high, abs=0.01)
