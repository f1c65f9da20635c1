"""How many days ahead a shutdown date or a job cutoff becomes a plan warning: 90, or
``FTOPS_SHUTDOWN_WARNING_DAYS`` (a team that retrains slowly may want half a year)."""

from __future__ import annotations

import os

WARNING_DAYS_ENV = "FTOPS_SHUTDOWN_WARNING_DAYS"
DEFAULT_WARNING_DAYS = 90


def warning_days(environ: dict[str, str] | None = None) -> int:
    from ftops.errors import UsageError

    raw = (os.environ if environ is None else environ).get(WARNING_DAYS_ENV, "").strip()
    if not raw:
        return DEFAULT_WARNING_DAYS
    if not raw.isdigit() or int(raw) > 36_500:
        raise UsageError(f"{WARNING_DAYS_ENV} must be a whole number of days, 0 to 36500 (got {raw!r}).")
    return int(raw)
