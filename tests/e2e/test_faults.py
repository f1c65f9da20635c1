"""A fault storm: a third of all requests refused (429 with Retry-After) or failing (500),
plus latency. Apply still converges, with exactly one upload per dataset and one job per job."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .support import Project, Result
from .test_crashes import assert_converged

Run = Callable[..., Result]

STORM = "429:0.15,500:0.15,latency:5ms,retry-after:0.05s,seed:11"


@pytest.mark.parametrize("project", [STORM], indirect=True)
def test_apply_converges_through_a_fault_storm(project: Project, run: Run) -> None:
    assert_converged(project, run)
    faults = [r.fault for r in project.emulator.requests() if r.fault in ("429", "500")]
    assert len(faults) >= 3  # the storm really happened
    assert {"429", "500"} <= set(faults)
