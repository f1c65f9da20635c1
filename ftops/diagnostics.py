"""Diagnostics: one problem found in a user's file, with where it is.

Manifests and datasets both report problems as ``Diagnostic`` values, all at
once, rendered as ``FILE:LINE:COL: PATH: message`` (column omitted when there
is none, e.g. for JSONL lines).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    file: str
    line: int | None
    column: int | None
    path: str  # a dotted/JSON path inside the document, "" for the whole file
    message: str
    severity: Severity = "error"
    code: str = ""  # a stable machine-readable id, e.g. "manifest.unknown-key"

    def render(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        prefix = "" if self.severity == "error" else "warning: "
        path = f"{self.path}: " if self.path else ""
        return f"{where}: {prefix}{path}{self.message}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def errors_of(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == "error"]
