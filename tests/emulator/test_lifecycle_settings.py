"""Start-time lifecycle settings of the emulator: shutdown dates and refusals, parsed strictly."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import openai
import pytest

from ftops.emulator import EmulatorConfig, start_background
from ftops.emulator.refusals import Refusal, parse_refusal
from ftops.emulator.shutdowns import load_shutdown_file, parse_shutdown
from ftops.errors import UsageError


def test_refusals_parse_kind_and_optional_model() -> None:
    assert parse_refusal("daily-quota") == Refusal("daily-quota", None)
    assert parse_refusal(" no-access:gpt-4o ") == Refusal("no-access", "gpt-4o")
    assert Refusal("not-tunable", "gpt-4o").applies_to("gpt-4o-2024-08-06")  # alias ~ snapshot
    assert not Refusal("not-tunable", "gpt-4o").applies_to("gpt-4o-mini")


@pytest.mark.parametrize("text", ["", "nope", "no-access:", "429", "daily_quota"])
def test_bad_refusals_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="no-access, not-tunable, daily-quota, invalid-file"):
        parse_refusal(text)


def test_shutdown_flags_and_files(tmp_path: Path) -> None:
    assert parse_shutdown("gpt-4o=2026-12-01") == ("gpt-4o", "2026-12-01")
    assert parse_shutdown("gpt-4o=none") == ("gpt-4o", None)
    for bad in ("gpt-4o", "=2026-12-01", "gpt-4o=soon", "gpt-4o=2026-13-01"):
        with pytest.raises(UsageError):
            parse_shutdown(bad)
    as_json = tmp_path / "dates.json"
    as_json.write_text(json.dumps({"gpt-4o": "2026-12-01", "o4-mini": None}))
    assert load_shutdown_file(as_json) == (("gpt-4o", "2026-12-01"), ("o4-mini", None))
    as_yaml = tmp_path / "dates.yaml"
    as_yaml.write_text("gpt-4o: 2026-12-01\n'gpt-4.1': '2027-02-01'\n")
    assert load_shutdown_file(as_yaml) == (("gpt-4o", "2026-12-01"), ("gpt-4.1", "2027-02-01"))
    not_a_map = tmp_path / "list.yaml"
    not_a_map.write_text("- gpt-4o\n")
    with pytest.raises(UsageError, match="map of model id to date"):
        load_shutdown_file(not_a_map)
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(UsageError, match="not valid JSON or YAML"):
        load_shutdown_file(broken)
    with pytest.raises(UsageError):
        load_shutdown_file(tmp_path / "missing.yaml")


def test_start_refuses_bad_lifecycle_settings_before_listening(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        start_background(EmulatorConfig(data_dir=tmp_path, refusals=("sometimes",)))
    with pytest.raises(UsageError):
        start_background(EmulatorConfig(data_dir=tmp_path, model_shutdowns=(("gpt-4o", "later"),)))
    assert not (tmp_path / "emulator.sqlite3").exists()  # refused before the store was opened


def test_serve_refuses_a_bad_refusal_and_a_bad_date_with_one_line(tmp_path: Path) -> None:
    for args in (["--refuse", "sometimes"], ["--model-shutdown", "gpt-4o=soon"]):
        result = subprocess.run(
            [sys.executable, "-m", "ftops", "emulator", "serve", "--port", "0", "--data", str(tmp_path),
             *args],
            capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith("Error: ") and len(result.stderr.strip().splitlines()) == 1


def test_serve_takes_dates_from_a_file_and_flags_and_refuses_as_told(tmp_path: Path) -> None:
    dates = tmp_path / "dates.yaml"
    dates.write_text("gpt-4o-mini-2024-07-18: 2026-01-01\ngpt-4.1-mini: 2030-05-05\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "ftops", "emulator", "serve", "--port", "0", "--data", str(tmp_path / "d"),
         "--model-shutdown-file", str(dates), "--model-shutdown", "gpt-4.1-mini=2031-01-01",
         "--refuse", "daily-quota:gpt-4.1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        url = re.search(r"http://127\.0\.0\.1:\d+/v1", process.stdout.readline())
        assert url
        with openai.OpenAI(base_url=url.group(0), api_key="k", max_retries=0) as client:
            listed = {m.id: m.model_dump()["shutdown_date"] for m in client.models.list()}
            assert listed["gpt-4o-mini-2024-07-18"] == "2026-01-01"
            assert listed["gpt-4.1-mini"] == "2031-01-01"  # the flag wins over the file
            file_id = client.files.create(file=("t.jsonl", b"{}\n"), purpose="fine-tune").id
            with pytest.raises(openai.BadRequestError, match="shut down on 2026-01-01"):
                client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file_id)
            with pytest.raises(openai.RateLimitError, match="requests per day"):
                client.fine_tuning.jobs.create(model="gpt-4.1", training_file=file_id)
    finally:
        process.terminate()
        process.wait(timeout=10)
