"""Settings for the whole suite.

The emulator's catalog carries the real shutdown dates of OpenAI's base models
(gpt-4o-mini-2024-07-18 and gpt-4.1-mini-2025-04-14 on 2027-01-14), and the
tests train on those models. Pinning the day (``FTOPS_TODAY``, read by both the
CLI and the emulator, and inherited by every subprocess) keeps the suite's
outcome from depending on the calendar; tests about dates build them relative
to ``ftops.clock.today()``.
"""

from __future__ import annotations

import os

os.environ["FTOPS_TODAY"] = "2026-11-24"
