"""Commands of this area. Only typer and the standard library at the top."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ftops app."""
