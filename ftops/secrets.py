"""Keys come only from the environment, and never leave the process in clear.

``redact`` is applied to every message the CLI prints; code that builds a
message from a request or a response should call it too.
"""

from __future__ import annotations

import os
import re

# Environment variables whose values are secrets.
SECRET_ENV_VARS: tuple[str, ...] = (
    "OPENAI_API_KEY",
    "OPENAI_ADMIN_KEY",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_AD_TOKEN",
    "TOGETHER_API_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "PGPASSWORD",
    "FTOPS_PG_CONN",
)

# Shapes of keys worth hiding even when they did not come from our environment.
_KEY_PATTERNS = re.compile(
    r"(sk-[A-Za-z0-9_\-]{8,})"  # OpenAI keys
    r"|((?i:bearer)\s+)[A-Za-z0-9_\-\.=]{8,}"  # Authorization headers
    r"|((?i:api-key)\s*[:=]\s*)[A-Za-z0-9_\-\.]{8,}"  # Azure api-key header
    r"|(postgres(?:ql)?://[^:/\s]+:)[^@\s]+(@)"  # passwords in connection URLs
)

REDACTED = "[REDACTED]"


def _replace(match: re.Match[str]) -> str:
    if match.group(1):
        return REDACTED
    if match.group(2):
        return match.group(2) + REDACTED
    if match.group(3):
        return match.group(3) + REDACTED
    return f"{match.group(4)}{REDACTED}{match.group(5)}"


def redact(text: str) -> str:
    """Hide every known secret value and anything shaped like a key."""
    for name in SECRET_ENV_VARS:
        value = os.environ.get(name)
        if value and len(value) >= 4:
            text = text.replace(value, REDACTED)
    return _KEY_PATTERNS.sub(_replace, text)
