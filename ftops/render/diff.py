"""Field-level differences between a change's ``before`` and ``after`` (deepdiff), as values."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ftops.resources import thaw

ABSENT = object()  # a field that one side does not have


@dataclass(frozen=True, slots=True)
class FieldChange:
    path: str  # dotted, list items as [i]: method.supervised.hyperparameters.n_epochs
    before: Any  # ABSENT when the field was added
    after: Any  # ABSENT when the field was removed


def field_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[FieldChange]:
    """Every leaf that differs, sorted by path."""
    from deepdiff import DeepDiff  # only when a diff is shown: keeps plain imports fast

    tree = DeepDiff(thaw(before or {}), thaw(after or {}), view="tree", verbose_level=2)
    out: list[FieldChange] = []
    for report in tree.values():
        for level in report:
            t1 = ABSENT if type(level.t1).__name__ == "NotPresent" else level.t1
            t2 = ABSENT if type(level.t2).__name__ == "NotPresent" else level.t2
            out.append(FieldChange(_dotted(level.path(output_format="list")), t1, t2))
    return sorted(out, key=lambda c: c.path)


def _dotted(parts: list[Any]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(root)"


_CONTROL = re.compile(r"[\x00-\x1f\x7f\x9b]")


def one_line(text: str) -> str:
    """Text from the service or a manifest (an error message, a name) as one safe line: no
    newline to break the layout, no escape sequence to repaint the terminal."""
    return _CONTROL.sub(lambda m: " " if m.group() in "\n\r\t" else "?", text)


_HASH = re.compile(r"^(sha256:)?([0-9a-f]{12})[0-9a-f]{52}$")


def show(value: Any, limit: int = 80) -> str:
    """A value as compact JSON, shortened for one line (hashes to their first 12 digits)."""
    if value is ABSENT:
        return "(none)"
    if isinstance(value, str) and (match := _HASH.match(value)):
        return f'"{match.group(1) or ""}{match.group(2)}…"'
    text = one_line(json.dumps(thaw(value), ensure_ascii=False, sort_keys=True, separators=(", ", ": ")))
    return text if len(text) <= limit else text[: limit - 1] + "…"
