"""The options of one planning run (the flags of ``ftops plan``), as a frozen value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ftops.lifecycle.catalogue import Catalogue


@dataclass(frozen=True, slots=True)
class PlanOptions:
    targets: frozenset[str] = frozenset()  # --target: only these addresses and what they depend on
    replaces: frozenset[str] = frozenset()  # --replace: force a new upload / a new job
    refresh_only: bool = False  # report drift only; no change
    destroy: bool = False  # plan the deletion of everything the project owns (protected models kept)
    # Today, for base-model shutdown dates; None skips those checks (the planner reads no clock).
    today: date | None = None
    shutdown_warning_days: int = 90
    # The provider's last day for new fine-tuning jobs (ftops.lifecycle.cutoffs) and where that
    # date comes from; None: no cutoff known. A job the plan would create on or after it is refused.
    job_cutoff: date | None = None
    job_cutoff_source: str = ""
    # The provider's packaged catalogue of base models (ftops.lifecycle.catalogue), or None when
    # none applies: a job on a model it knows cannot be fine-tuned is refused.
    catalogue: Catalogue | None = None
