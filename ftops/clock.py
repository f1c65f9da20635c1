"""Today's date for everything date-driven: base-model shutdown dates and job cutoffs.

``FTOPS_TODAY=YYYY-MM-DD`` plans as of another day, e.g. to rehearse what a plan
will say once a base model is gone. The test suite pins it, so that the real
shutdown dates of the models the tests train on cannot turn into failures on a
calendar day. Both the CLI and the emulator read it.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

from ftops.errors import UsageError

ENV_VAR = "FTOPS_TODAY"


def today() -> date:
    pinned = os.environ.get(ENV_VAR, "").strip()
    if not pinned:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(pinned)
    except ValueError:
        raise UsageError(f"{ENV_VAR}={pinned!r} is not a date; use YYYY-MM-DD") from None
