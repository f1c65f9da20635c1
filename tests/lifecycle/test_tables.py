"""The packaged tables: job cutoffs per provider (and their override), refusal explanations."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ftops.emulator import cutoff as emulator_cutoff
from ftops.emulator.refusals import KINDS, parse_refusal
from ftops.emulator.shutdowns import parse_shutdown
from ftops.errors import UsageError
from ftops.lifecycle.cutoffs import CUTOFF_ENV, job_cutoff, table_row
from ftops.lifecycle.refusals import REFUSALS, explain


def test_the_packaged_cutoffs() -> None:
    openai = table_row("openai")
    assert openai.date == date(2027, 1, 6) and "deprecations page" in openai.source
    assert table_row("azure").date is None and "none known" in table_row("azure").source
    # The emulator refuses job creates from OpenAI's date by default, so the planner must know it.
    assert table_row("emulator").date == openai.date
    assert table_row("emulator").date == date.fromisoformat(emulator_cutoff.OPENAI_JOB_CUTOFF)
    assert table_row("something-else").date is None


@pytest.mark.parametrize(
    ("kind", "base_url", "expected"),
    [
        ("openai", None, date(2027, 1, 6)),
        ("openai", "https://api.openai.com/v1", date(2027, 1, 6)),
        ("openai", "http://127.0.0.1:8765/v1", None),  # the emulator, a proxy: not assumed OpenAI
        ("azure", "https://example-resource.openai.azure.com", None),
        ("emulator", None, date(2027, 1, 6)),  # the in-process emulator refuses from that day
    ],
)
def test_which_row_applies(kind: str, base_url: str | None, expected: date | None) -> None:
    assert job_cutoff(kind, base_url, {}).date == expected


def test_the_environment_overrides_the_table() -> None:
    assert job_cutoff("azure", None, {CUTOFF_ENV: "2026-12-31"}).date == date(2026, 12, 31)
    assert job_cutoff("openai", None, {CUTOFF_ENV: "none"}).date is None
    assert job_cutoff("openai", None, {CUTOFF_ENV: "2026-12-31"}).source == f"{CUTOFF_ENV}=2026-12-31"
    with pytest.raises(UsageError, match=CUTOFF_ENV):
        job_cutoff("openai", None, {CUTOFF_ENV: "next year"})


def test_every_refusal_names_its_code_a_cause_and_a_remedy() -> None:
    assert {"fine_tuning_not_available", "model_not_available", "daily_rate_limit_exceeded",
            "invalid_training_file"} <= set(REFUSALS)
    for code, refusal in REFUSALS.items():
        line = explain(code)
        assert line is not None and f"({code}): " in line
        assert refusal.cause and refusal.remedy and "\n" not in line
    assert explain(None) is None and explain("rate_limit_exceeded") is None


@given(st.text(max_size=60))
def test_emulator_settings_from_any_text_parse_or_say_why(text: str) -> None:
    """Flags are untrusted text: they parse to a sound value, or fail with a UsageError only."""
    try:
        refusal = parse_refusal(text)
    except UsageError:
        assert text.partition(":")[0].strip() not in KINDS or text.strip().endswith(":")
    else:
        assert refusal.kind in KINDS and parse_refusal(str(refusal)) == refusal
    try:
        model, when = parse_shutdown(text)
    except UsageError:
        assert "=" not in text or not text.partition("=")[0].strip() or text.partition("=")[2].strip()
    else:
        assert model == model.strip() and model
        assert when is None or date.fromisoformat(when).isoformat() == when


def test_docs_list_every_refusal_and_the_packaged_cutoffs() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    for code, refusal in REFUSALS.items():
        assert f"| `{code}` (" in page, code
        assert refusal.cause in page, refusal.cause
    openai = table_row("openai")
    assert openai.date is not None and f"| `openai` | **{openai.date.isoformat()}** |" in page
    assert "| `azure` | none known |" in page
    assert f"| `emulator` | **{openai.date.isoformat()}** |" in page
    for kind in KINDS:
        assert f"`{kind}`" in page, kind
