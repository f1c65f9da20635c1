"""Deciding "no worse than" on paired cases, with a stated confidence.

Pure functions, no I/O. Each eval case is answered by the baseline (the model
serving now, or its recording) and by the candidate, so the two scores are
paired: only the cases on which they disagree carry information about the
difference, which is what makes small sets usable (docs/evaluations.md).

- Pass/fail cases (one sample per case): Newcombe's hybrid score interval for
  the difference of paired proportions (Newcombe 1998, Statistics in Medicine
  17:2635, method 10: Wilson intervals of each proportion combined through the
  continuity-corrected phi of the 2x2 table). It stays honest when the two
  models agree on every case, where a bootstrap would give the empty interval
  [0, 0] whatever the number of cases.
- Per-case scores between 0 and 1 (the pass rate over several samples): a
  paired bootstrap over cases with a fixed seed, bias-corrected and accelerated
  (BCa, Efron 1987), never narrower than the score interval that the same
  number of identical pass/fail cases would give.

Non-inferiority with margin M: PASS when the lower bound of candidate minus
baseline is above -M, FAIL when the upper bound is below -M, INCONCLUSIVE
otherwise (the set is too small to tell).
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Final

CONFIDENCE: Final = 0.95  # two-sided, so each bound is a one-sided 97.5% bound
Z: Final = NormalDist().inv_cdf(1 - (1 - CONFIDENCE) / 2)  # 1.959964
BOOTSTRAP_RESAMPLES: Final = 10_000
BOOTSTRAP_SEED: Final = 20_270_114  # fixed: the same results always give the same verdict


class Verdict(enum.StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"


@dataclass(frozen=True, slots=True)
class PairedCounts:
    """The 2x2 table of paired pass/fail results."""

    both_pass: int  # a
    only_baseline_passes: int  # b: the candidate regressed on these
    only_candidate_passes: int  # c
    both_fail: int  # d

    def __post_init__(self) -> None:
        if min(self.both_pass, self.only_baseline_passes, self.only_candidate_passes, self.both_fail) < 0:
            raise ValueError("paired counts cannot be negative")

    @property
    def n(self) -> int:
        return self.both_pass + self.only_baseline_passes + self.only_candidate_passes + self.both_fail

    @classmethod
    def of(cls, baseline: Sequence[bool], candidate: Sequence[bool]) -> PairedCounts:
        if len(baseline) != len(candidate):
            raise ValueError("baseline and candidate must have one result per case each")
        pairs = list(zip(baseline, candidate, strict=True))
        return cls(
            both_pass=sum(1 for b, c in pairs if b and c),
            only_baseline_passes=sum(1 for b, c in pairs if b and not c),
            only_candidate_passes=sum(1 for b, c in pairs if c and not b),
            both_fail=sum(1 for b, c in pairs if not b and not c),
        )


@dataclass(frozen=True, slots=True)
class Comparison:
    """Candidate minus baseline, its confidence interval and the verdict against the margin."""

    baseline_score: float
    candidate_score: float
    difference: float
    lower: float
    upper: float
    margin: float
    verdict: Verdict
    method: str  # "newcombe" or "bootstrap-bca"
    n: int


def wilson(successes: int, n: int, z: float = Z) -> tuple[float, float]:
    """Wilson's score interval for a proportion (no continuity correction)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    centre = 2 * n * p + z * z
    spread = z * math.sqrt(z * z + 4 * n * p * (1 - p))
    denominator = 2 * (n + z * z)
    return max(0.0, (centre - spread) / denominator), min(1.0, (centre + spread) / denominator)


def _phi(t: PairedCounts) -> float:
    """The 2x2 table's phi, continuity-corrected as in Newcombe's method 10; 0 when a margin is empty."""
    a, b, c, d = t.both_pass, t.only_baseline_passes, t.only_candidate_passes, t.both_fail
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    if margins == 0:
        return 0.0
    cross: float = a * d - b * c
    if cross > 0:
        cross = max(cross - t.n / 2, 0.0)
    return cross / math.sqrt(margins)


def newcombe_interval(t: PairedCounts, z: float = Z) -> tuple[float, float, float]:
    """(difference, lower, upper) of candidate minus baseline pass rates."""
    n = t.n
    if n == 0:
        return 0.0, -1.0, 1.0
    candidate = t.both_pass + t.only_candidate_passes
    baseline = t.both_pass + t.only_baseline_passes
    p_c, p_b = candidate / n, baseline / n
    l_c, u_c = wilson(candidate, n, z)
    l_b, u_b = wilson(baseline, n, z)
    phi = _phi(t)
    difference = p_c - p_b
    below = math.sqrt(max(0.0, (p_c - l_c) ** 2 - 2 * phi * (p_c - l_c) * (u_b - p_b) + (u_b - p_b) ** 2))
    above = math.sqrt(max(0.0, (u_c - p_c) ** 2 - 2 * phi * (u_c - p_c) * (p_b - l_b) + (p_b - l_b) ** 2))
    return difference, max(-1.0, difference - below), min(1.0, difference + above)


def decide(lower: float, upper: float, margin: float) -> Verdict:
    if lower > -margin:
        return Verdict.PASS
    if upper < -margin:
        return Verdict.FAIL
    return Verdict.INCONCLUSIVE


def smallest_detectable_regression(n: int, z: float = Z) -> float:
    """The widest regression a set of n cases cannot rule out even when both models pass every case:
    the half-width of the score interval for identical all-pass results. A margin below it makes
    INCONCLUSIVE certain before anything is sampled."""
    if n <= 0:
        return 1.0
    return z * z / (n + z * z)


def compare_pass_fail(baseline: Sequence[bool], candidate: Sequence[bool], margin: float) -> Comparison:
    counts = PairedCounts.of(baseline, candidate)
    difference, lower, upper = newcombe_interval(counts)
    n = counts.n
    return Comparison(
        baseline_score=(counts.both_pass + counts.only_baseline_passes) / n if n else 0.0,
        candidate_score=(counts.both_pass + counts.only_candidate_passes) / n if n else 0.0,
        difference=difference, lower=lower, upper=upper, margin=margin,
        verdict=decide(lower, upper, margin), method="newcombe", n=n,
    )


def bootstrap_bca(differences: Sequence[float], *, resamples: int = BOOTSTRAP_RESAMPLES,
                  seed: int = BOOTSTRAP_SEED, z: float = Z) -> tuple[float, float]:
    """BCa interval of the mean of paired per-case differences, resampling cases with a fixed seed."""
    n = len(differences)
    observed = math.fsum(differences) / n
    rng = random.Random(seed)
    means = sorted(math.fsum(rng.choices(differences, k=n)) / n for _ in range(resamples))
    below = sum(1 for m in means if m < observed) + 0.5 * sum(1 for m in means if m == observed)
    if below <= 0 or below >= resamples:  # every resample on one side: no correction is defined
        return means[0], means[-1]
    normal = NormalDist()
    bias = normal.inv_cdf(below / resamples)
    total = math.fsum(differences)
    jackknife = [(total - value) / (n - 1) for value in differences] if n > 1 else [observed]
    jack_mean = math.fsum(jackknife) / len(jackknife)
    squares = math.fsum((jack_mean - j) ** 2 for j in jackknife)
    cubes = math.fsum((jack_mean - j) ** 3 for j in jackknife)
    acceleration = cubes / (6 * squares**1.5) if squares > 0 else 0.0

    def quantile(z_alpha: float) -> float:
        shifted = bias + (bias + z_alpha) / (1 - acceleration * (bias + z_alpha))
        level = normal.cdf(shifted)
        index = min(resamples - 1, max(0, math.floor(level * (resamples - 1))))
        return means[index]

    return quantile(-z), quantile(z)


def compare_scores(baseline: Sequence[float], candidate: Sequence[float], margin: float) -> Comparison:
    """Per-case scores in [0, 1] (e.g. the pass rate over several samples of one case).

    All-0/1 scores go to the exact paired score interval; anything else to the bootstrap, whose
    interval is widened to at least what identical pass/fail results on as many cases allow, so
    that a few identical cases never prove anything."""
    if len(baseline) != len(candidate):
        raise ValueError("baseline and candidate must have one score per case each")
    if all(s in (0.0, 1.0) for s in (*baseline, *candidate)):
        return compare_pass_fail([s == 1.0 for s in baseline], [s == 1.0 for s in candidate], margin)
    n = len(baseline)
    differences = [c - b for b, c in zip(baseline, candidate, strict=True)]
    difference = math.fsum(differences) / n
    lower, upper = bootstrap_bca(differences)
    floor = smallest_detectable_regression(n)
    lower, upper = max(-1.0, min(lower, difference - floor)), min(1.0, max(upper, difference + floor))
    return Comparison(
        baseline_score=math.fsum(baseline) / n, candidate_score=math.fsum(candidate) / n,
        difference=difference, lower=lower, upper=upper, margin=margin,
        verdict=decide(lower, upper, margin), method="bootstrap-bca", n=n,
    )
