"""Refusals that end a job before it trains, and shut-down base models, through the real SDK."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from openai import OpenAI

from ftops import clock
from ftops.emulator import RunningEmulator

from .data import wait_for_status

Start = Callable[..., RunningEmulator]
MakeClient = Callable[..., OpenAI]
# The catalog's real dates for these bases (2027-01-14) would fail the tests that train once
# past; those tests move them ten years ahead of today.
TRAINED = ("gpt-4o-mini", "gpt-4o-mini-2024-07-18", "gpt-4.1-mini", "gpt-4.1-mini-2025-04-14")


def _today() -> datetime:
    return datetime.combine(clock.today(), datetime.now(UTC).timetz())


def _day(offset: int) -> str:
    return (_today() + timedelta(days=offset)).date().isoformat()


def _ahead(*extra: tuple[str, str | None]) -> tuple[tuple[str, str | None], ...]:
    return tuple({**{model: _day(3650) for model in TRAINED}, **dict(extra)}.items())


def _upload(client: OpenAI, training_file: Path) -> str:
    return client.files.create(file=training_file, purpose="fine-tune").id


def _body(error: openai.APIStatusError) -> dict[str, Any]:
    body: Any = error.body
    return dict(body)


def test_a_base_model_shut_down_yesterday_is_refused_on_model(
    start_emulator: Start, make_client: MakeClient, training_file: Path
) -> None:
    dates = _ahead(("gpt-4o-mini-2024-07-18", _day(-1)), ("gpt-4o-2024-08-06", _day(1)))
    client = make_client(start_emulator(model_shutdowns=dates))
    file_id = _upload(client, training_file)
    listed = {m.id: m.model_dump() for m in client.models.list()}
    assert listed["gpt-4o-mini-2024-07-18"]["shutdown_date"] == _day(-1)
    for model in ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"):  # the alias trains the same snapshot
        with pytest.raises(openai.BadRequestError) as refused:
            client.fine_tuning.jobs.create(model=model, training_file=file_id)
        body = _body(refused.value)
        assert (body["param"], body["code"]) == ("model", "model_not_available")
        assert f"shut down on {_day(-1)}" in body["message"]
    assert list(client.fine_tuning.jobs.list()) == []  # nothing was created
    # A base model that shuts down tomorrow still trains today.
    job = client.fine_tuning.jobs.create(model="gpt-4o-2024-08-06", training_file=file_id)
    assert job.model == "gpt-4o-2024-08-06"


def test_a_shutdown_date_of_none_clears_the_catalog_date(
    start_emulator: Start, make_client: MakeClient
) -> None:
    client = make_client(start_emulator(model_shutdowns=(("gpt-4o", None),)))
    assert client.models.retrieve("gpt-4o").model_dump()["shutdown_date"] is None
    assert client.models.retrieve("gpt-4o-2024-08-06").model_dump()["shutdown_date"] == "2027-01-14"


def test_a_fine_tuned_model_of_a_shut_down_base_cannot_be_trained_further(
    start_emulator: Start, make_client: MakeClient, training_file: Path
) -> None:
    emulator = start_emulator(model_shutdowns=_ahead())
    client = make_client(emulator)
    file_id = _upload(client, training_file)
    first = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id)
    tuned = wait_for_status(client, first.id, {"succeeded"}).fine_tuned_model
    assert tuned
    answer = httpx2.put(
        emulator.root_url + "/_emulator/shutdown_dates",
        json={"model": "gpt-4o-mini-2024-07-18", "shutdown_date": _day(0)},
    )
    assert answer.status_code == 200
    with pytest.raises(openai.BadRequestError) as refused:
        client.fine_tuning.jobs.create(model=tuned, training_file=file_id)
    assert _body(refused.value)["code"] == "model_not_available"


@pytest.mark.parametrize(
    ("refusal", "error", "status", "code", "param"),
    [
        ("no-access", openai.PermissionDeniedError, 403, "fine_tuning_not_available", None),
        ("not-tunable", openai.BadRequestError, 400, "model_not_available", "model"),
        ("daily-quota", openai.RateLimitError, 429, "daily_rate_limit_exceeded", None),
    ],
)
def test_configured_refusals_answer_job_creation(
    start_emulator: Start, make_client: MakeClient, training_file: Path,
    refusal: str, error: type[openai.APIStatusError], status: int, code: str, param: str | None,
) -> None:
    client = make_client(start_emulator(refusals=(f"{refusal}:gpt-4o-mini",), model_shutdowns=_ahead()))
    file_id = _upload(client, training_file)
    with pytest.raises(error) as refused:
        client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file_id)
    body = _body(refused.value)
    assert refused.value.status_code == status
    assert (body["code"], body["param"], body["type"]) == (code, param, "invalid_request_error")
    assert list(client.fine_tuning.jobs.list()) == []
    # Scoped to one model: another base model still trains.
    assert client.fine_tuning.jobs.create(model="gpt-4.1-mini", training_file=file_id).id


def test_the_daily_quota_message_names_the_model_as_the_service_does(
    start_emulator: Start, make_client: MakeClient, training_file: Path
) -> None:
    client = make_client(start_emulator(refusals=("daily-quota",), model_shutdowns=_ahead()))
    with pytest.raises(openai.RateLimitError) as refused:
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=_upload(client, training_file))
    message = _body(refused.value)["message"]
    assert message.startswith("This fine-tune request has been rate-limited.")
    assert "fine-tuning requests per day for the model 'gpt-4o-mini-2024-07-18'" in message


def test_an_invalid_file_refusal_fails_the_job_in_validation(
    start_emulator: Start, make_client: MakeClient, training_file: Path
) -> None:
    client = make_client(start_emulator(refusals=("invalid-file",), model_shutdowns=_ahead()))
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=_upload(client, training_file))
    failed = wait_for_status(client, job.id, {"failed", "succeeded"})
    assert failed.status == "failed" and failed.error is not None
    assert (failed.error.code, failed.error.param) == ("invalid_training_file", "training_file")
    assert failed.fine_tuned_model is None and not failed.trained_tokens
