"""The order in which an executor may carry out a plan's changes.

``Plan.changes`` are sorted for people (datasets, jobs, models, by name); the executor runs
them in dependency order: a change only after every change its ``depends_on`` names.
"""

from __future__ import annotations

from collections.abc import Sequence

from ftops.errors import PlanError
from ftops.plan.model import Change


def execution_order(changes: Sequence[Change]) -> list[Change]:
    """A stable topological order (ties keep the plan's order); PlanError on a dangling
    dependency or a cycle."""
    by_key = {c.key: c for c in changes}
    if len(by_key) != len(changes):
        raise PlanError("the plan has two changes with the same key (a planner bug)")
    for change in changes:
        for dep in change.depends_on:
            if dep not in by_key:
                raise PlanError(f"{change.key} depends on {dep}, which is not in the plan")
    done: set[str] = set()
    ordered: list[Change] = []
    remaining = list(changes)
    while remaining:
        ready = [c for c in remaining if all(d in done for d in c.depends_on)]
        if not ready:
            cycle = ", ".join(c.key for c in remaining)
            raise PlanError(f"the plan's changes depend on each other in a cycle: {cycle}")
        for change in ready:
            ordered.append(change)
            done.add(change.key)
        remaining = [c for c in remaining if c.key not in done]
    return ordered


def dependents(changes: Sequence[Change], key: str) -> set[str]:
    """Every change that (transitively) waits for ``key``: what to skip when it is skipped or fails."""
    out: set[str] = set()
    frontier = {key}
    while frontier:
        nxt = {c.key for c in changes if c.key not in out and any(d in frontier for d in c.depends_on)}
        out |= nxt
        frontier = nxt
    return out
