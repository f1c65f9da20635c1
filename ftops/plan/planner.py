"""The pure planner: (desired, state, observed, options) -> Plan. No I/O, no clock, no network."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ftops.plan.desired import Desired
from ftops.plan.model import Plan
from ftops.plan.observed import Observed
from ftops.plan.options import PlanOptions

if TYPE_CHECKING:
    from ftops.state import StateSnapshot

__all__ = ["PlanOptions", "make_plan"]


def make_plan(
    desired: Desired, state: StateSnapshot | None, observed: Observed, options: PlanOptions = PlanOptions()
) -> Plan:
    raise NotImplementedError("the planner lands in the next commit; this fixes the signature")
