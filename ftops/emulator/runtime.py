"""What every request handler needs: the store, the clock, the settings and the live switches."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ftops.emulator.faults import FaultInjector
from ftops.emulator.holds import MutationHold
from ftops.emulator.refusals import Refusal
from ftops.emulator.requestlog import RequestLog
from ftops.emulator.store import Store


@dataclass
class Runtime:
    """Mutable on purpose: admin calls flip non-owner keys and faults while the server runs."""

    store: Store
    organization: str
    speed: float
    faults: FaultInjector
    log: RequestLog
    non_owner_keys: set[str] = field(default_factory=set)
    # Keys the service no longer accepts (revoked or mistyped): every request with one gets 401.
    revoked_keys: set[str] = field(default_factory=set)
    refusals: tuple[Refusal, ...] = ()  # job creations the service would refuse (tests)
    clock: Callable[[], float] = time.time
    hold: MutationHold = field(default_factory=MutationHold)  # crash tests' kill point
    azure_api_keys: frozenset[str] = frozenset()  # see ftops.emulator.azure; empty: any key
    job_cutoff: str | None = None  # YYYY-MM-DD from which job creates are refused (ftops.emulator.cutoff)
    refuse_training_downloads: bool = False  # GET /v1/files/{id}/content of a fine-tune file: 400

    @property
    def org_slug(self) -> str:
        """The organization segment of fine-tuned model names (``org-acme`` gives ``acme``)."""
        return self.organization.removeprefix("org-") or self.organization
