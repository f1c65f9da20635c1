"""Together AI's API, served by the emulator beside OpenAI's, under ``/together``.

``Together(base_url=ROOT + "/together", api_key="any")`` works as against the
service: the ``together`` SDK (3.x) adds ``/v1/...`` itself. Served, in the forms
that SDK sends (``FINE_TUNING.md`` of the published spec's notes) and where cheap
the spec's too: files (the SDK's three-request upload and the spec's
``/files/upload``, list, retrieve, delete, content), fine-tunes (model limits,
price estimate, create, list, retrieve, events, checkpoints, training metrics with
loss by step, cancel, delete), chat completions, and dedicated endpoints
with their hardware in the SDK's v2 form (``endpoints``, ``hardware``). The same
store, clock, speed, faults, holds and request log as the OpenAI side; Together's
objects live in tables of their own (``tables``).
"""

from __future__ import annotations

from typing import Any

from ftops.emulator.together import chat, endpoints, files, fine_tunes, hardware, metrics
from ftops.emulator.together.http import PREFIX, STORAGE_PREFIX
from ftops.emulator.together.tables import ensure_tables

ROUTES: list[Any] = [
    *files.ROUTES, *fine_tunes.ROUTES, *metrics.ROUTES, *chat.ROUTES, *endpoints.ROUTES, *hardware.ROUTES
]

__all__ = ["PREFIX", "ROUTES", "STORAGE_PREFIX", "ensure_tables"]
