from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def chat_example(i: int, answer: str = "A Kakao Friends cat in a sweet potato hat.") -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "You know the Kakao Friends."},
            {"role": "user", "content": f"Who is Chunsik? ({i})"},
            {"role": "assistant", "content": answer},
        ]
    }


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Callable[..., Path]:
    """Write examples (dicts, or raw str/bytes lines) as a JSONL file."""

    def write(name: str, rows: list[Any], *, end: bytes = b"\n") -> Path:
        path = tmp_path / name
        parts = []
        for row in rows:
            if isinstance(row, bytes):
                parts.append(row)
            elif isinstance(row, str):
                parts.append(row.encode("utf-8"))
            else:
                parts.append(json.dumps(row, ensure_ascii=False).encode("utf-8"))
        path.write_bytes(b"\n".join(parts) + (end if parts else b""))
        return path

    return write
