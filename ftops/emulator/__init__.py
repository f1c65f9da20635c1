"""A local stand-in for OpenAI's files, uploads, fine-tuning, models and chat endpoints.

Real HTTP (starlette + uvicorn), SQLite and a blob folder for state, so any
OpenAI SDK can point ``base_url`` at it and a restart loses nothing. Jobs
progress from their stored timestamps (scaled by ``speed``), chat answers are
simulated from the training data, and faults can be injected for tests.

    with start_background(EmulatorConfig(data_dir=tmp, speed=1000)) as emu:
        client = OpenAI(base_url=emu.base_url, api_key="test-key")
"""

from __future__ import annotations

from ftops.emulator.config import EMBEDDED_SPEED, SPEED_ENV, EmulatorConfig, embedded_speed
from ftops.emulator.requestlog import RequestRecord
from ftops.emulator.server import RunningEmulator, serve, start_background

__all__ = [
    "EMBEDDED_SPEED",
    "SPEED_ENV",
    "EmulatorConfig",
    "RequestRecord",
    "RunningEmulator",
    "embedded_speed",
    "serve",
    "start_background",
]
