"""Keys never leave the process in clear: redact() hides env-var values and key shapes."""

from __future__ import annotations

import pytest

from ftops.secrets import REDACTED, redact


def test_redacts_the_value_of_a_secret_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "not-shaped-like-a-key-1234")
    assert redact("sent not-shaped-like-a-key-1234 twice") == f"sent {REDACTED} twice"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("key sk-proj-ABCDEFGH12345678 here", f"key {REDACTED} here"),
        ("Authorization: Bearer abcdefgh12345678", f"Authorization: Bearer {REDACTED}"),
        ("api-key: 0123456789abcdef", f"api-key: {REDACTED}"),
        ("postgresql://ftops:hunter22@db:5432/x", f"postgresql://ftops:{REDACTED}@db:5432/x"),
    ],
)
def test_redacts_key_shapes(text: str, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "FTOPS_PG_CONN", "PGPASSWORD"):
        monkeypatch.delenv(name, raising=False)
    assert redact(text) == expected


def test_leaves_ordinary_text_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    text = "jobs.chunsik: ft:gpt-4o-mini-2024-07-18:org-emulator:chunsik:abc123 task-force skip"
    assert redact(text) == text
