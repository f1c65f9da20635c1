"""Small pieces of the core CLI that take untrusted text: durations, and the lean import rule."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ftops.cli.core_cmds import parse_duration
from ftops.errors import UsageError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("60s", 60.0), ("2m", 120.0), ("1.5h", 5400.0), ("500ms", 0.5), ("0", 0.0), (" 7 ", 7.0)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text, "--lock-timeout") == seconds


@given(st.text(max_size=30))
def test_a_duration_is_a_number_or_one_usage_error(text: str) -> None:
    try:
        value = parse_duration(text, "--lock-timeout")
    except UsageError as error:
        assert "--lock-timeout" in str(error)
    else:
        assert value >= 0


def test_core_commands_import_only_typer_stdlib_and_common_at_the_top() -> None:
    source = Path(__file__).resolve().parents[2] / "ftops" / "cli" / "core_cmds.py"
    tree = ast.parse(source.read_text())
    allowed = {"__future__", "json", "os", "re", "sys", "pathlib", "typing", "typer", "ftops.cli.common"}
    for node in tree.body:
        if isinstance(node, ast.Import):
            names = {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names = {node.module or ""}
        else:
            continue
        assert names <= allowed, names
