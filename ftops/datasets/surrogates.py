"""Strings that are valid JSON but not text: a lone surrogate escape such as ``"\\ud800"``.

JSON allows any ``\\uXXXX`` escape, so ``json`` reads ``"\\ud800"`` into a Python string,
but half of a surrogate pair is no character: it has no UTF-8 form, and the service
cannot train on (or even store as text) an example holding one. orjson refuses such a
line, so only lines of the standard library's slow road can hold one.
"""

from __future__ import annotations

import re
from typing import Any, Final

_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def lone_surrogate(value: Any) -> tuple[str, str] | None:
    """(the JSON path of the first string, key or value, that holds a lone surrogate, the
    escape as written), or None. Iterative, so any depth the parser accepted is fine."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            found = _SURROGATE.search(item)
            if found is not None:
                return path, f"\\u{ord(found.group()):04x}"
        elif isinstance(item, dict):
            for key, child in reversed(list(item.items())):
                found = _SURROGATE.search(key)
                shown = key.encode("utf-8", "backslashreplace").decode("utf-8") if found else key
                child_path = f"{path}.{shown}" if path else shown
                if found is not None:
                    return child_path, f"\\u{ord(found.group()):04x}"
                stack.append((child_path, child))
        elif isinstance(item, list):
            stack.extend((f"{path}[{index}]", child) for index, child in reversed(list(enumerate(item))))
    return None
