"""Object ids shaped like the service's (``file-…``, ``ftjob-…``), random and unguessable."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def random_token(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_id(prefix: str, length: int = 24) -> str:
    """``prefix`` includes its separator: the service mixes ``file-`` and ``upload_``."""
    return prefix + random_token(length)
