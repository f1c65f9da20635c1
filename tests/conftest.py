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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

os.environ["FTOPS_TODAY"] = "2026-11-24"


PlantModel = Callable[..., dict[str, str]]


@pytest.fixture
def plant_model() -> PlantModel:
    """``plant_model(emulator, training_file, base=..., suffix=...)``: upload ``training_file`` with
    the openai SDK, as a person would, then plant a succeeded job on it without ftops's tags
    (``POST /_emulator/planted_models``). Returns ``{"model", "job_id", "training_file"}``; the
    model is ``ft:<base>:<org>:<suffix>:<id>`` and answers from the file at once."""
    import httpx2
    from openai import OpenAI

    def plant(
        emulator: Any, training_file: Path, base: str = "gpt-4o-mini-2024-07-18",
        suffix: str | None = "chunsik", n_epochs: int | None = None,
    ) -> dict[str, str]:
        with OpenAI(base_url=emulator.base_url, api_key="hand-made", max_retries=0) as client:
            file_id = client.files.create(file=training_file, purpose="fine-tune").id
        answer = httpx2.post(
            emulator.root_url + "/_emulator/planted_models",
            json={"model": base, "training_file": file_id, "suffix": suffix, "n_epochs": n_epochs},
        )
        assert answer.status_code == 200, answer.text
        planted: dict[str, str] = answer.json()
        return planted

    return plant
