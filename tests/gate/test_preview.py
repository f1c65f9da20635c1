"""The plan's estimate of a gate: sampling with cached answers subtracted, plus grading."""

from __future__ import annotations

from types import MappingProxyType

from pytest import approx

from ftops.gate.preview import EvalPreview, GatePreview
from ftops.resources import Gate


def _preview(grading: float | None, first: float | None) -> EvalPreview:
    return EvalPreview("facts", 40, 1, 0.088, 40, 0.04, MappingProxyType({"ft:cand": 30}), grading, first)


def test_grading_is_added_to_sampling_and_never_subtracted() -> None:
    one = _preview(0.02, 0.01)
    assert one.graded
    assert one.usd_for("ft:cand") == approx(0.01 + 0.02)  # 10 answers left to ask, every grade
    assert one.usd_for("ft:cand", baseline=False) == approx(0.01 + 0.01)  # a first model: its answers only
    assert one.usd_for("ft:other") == approx(0.04 + 0.02)
    assert _preview(None, None).usd_for("ft:cand") is None  # a grader without a known price
    plain = _preview(0.0, 0.0)
    assert not plain.graded and plain.usd_for("ft:cand") == approx(0.01)
    gate = GatePreview(Gate(evals=("facts",)), (one, plain))
    assert gate.usd_for("ft:cand") == approx(0.01 + 0.02 + 0.01)
