"""How an emulator is started: a frozen value, shared by the CLI, tests and ``--provider emulator``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ftops.emulator.cutoff import default_job_cutoff
from ftops.errors import UsageError

SPEED_ENV = "FTOPS_EMULATOR_SPEED"
# In-process use (``--provider emulator``): the example job finishes in about two seconds.
EMBEDDED_SPEED = 100.0


@dataclass(frozen=True)
class EmulatorConfig:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 0  # 0 = ephemeral
    speed: float = 1.0  # simulated seconds per real second; 1.0 = jobs take minutes
    faults: str | None = None  # see ftops.emulator.faults for the grammar
    organization: str = "org-emulator"
    non_owner_keys: frozenset[str] = frozenset()
    # (model id, YYYY-MM-DD or None) pairs written over the catalog's shutdown dates at start.
    model_shutdowns: tuple[tuple[str, str | None], ...] = ()
    # Refusals of job creation, "KIND[:MODEL]" (see ftops.emulator.refusals).
    refusals: tuple[str, ...] = ()
    # Keys accepted in the ``api-key`` header of Azure-form requests (``/openai/...``);
    # empty accepts any key (see ftops.emulator.azure).
    azure_api_keys: frozenset[str] = frozenset()
    # No job creates on or after this day (YYYY-MM-DD; None: no cutoff): see ftops.emulator.cutoff.
    job_cutoff: str | None = field(default_factory=default_job_cutoff)
    # Refuse to give back the content of training files (purpose fine-tune), as the service may.
    refuse_training_downloads: bool = False


def embedded_speed() -> float:
    """The speed for an in-process emulator: ``$FTOPS_EMULATOR_SPEED`` or 100."""
    raw = os.environ.get(SPEED_ENV)
    if not raw:
        return EMBEDDED_SPEED
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise UsageError(f"{SPEED_ENV} must be a number above 0 (got {raw!r}).")
    return value
