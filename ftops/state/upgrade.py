"""Reading states written by older ftops: each older format is upgraded, one version at a time,
to the current one before it is checked; a state is written back only in the current format.

1 -> 2: format 2 records the providers the resources are on (``providers``: alias -> the type
and non-secret address of its service). A format-1 state recorded none: all its resources were
on the project's one provider, and they read as the ``default`` alias's (the next write records
that provider's fingerprint).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

FIRST_FORMAT: Final = 1


def _one_to_two(data: dict[str, Any]) -> dict[str, Any]:
    if "providers" in data:
        return data  # refused by the checks of the current format: providers came with format 2
    return {**data, "format_version": 2}


# Upgrades by the version they read.
_UPGRADES: Final[dict[int, Callable[[dict[str, Any]], dict[str, Any]]]] = {1: _one_to_two}


def upgrade_document(data: dict[str, Any], current: int) -> dict[str, Any]:
    """``data`` (a parsed state document whose ``format_version`` is an integer) in the format
    ``current``. A version newer than ``current`` or older than the first is left as it is, for
    the caller to refuse."""
    version = data["format_version"]
    while FIRST_FORMAT <= version < current and version in _UPGRADES:
        data = _UPGRADES[version](data)
        if data["format_version"] == version:
            break
        version = data["format_version"]
    return data
