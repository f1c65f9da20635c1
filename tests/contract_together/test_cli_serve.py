"""``ftops emulator serve`` as a user runs it: the third line it prints is the together SDK's base URL."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from together import Together

from .data import CAPITALS, write_jsonl


def test_serve_announces_the_together_url_and_the_sdk_uses_it(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "ftops",
        "emulator",
        "serve",
        "--port",
        "0",
        "--data",
        str(tmp_path / "d"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        url = re.search(r"Together\(base_url='(http://127\.0\.0\.1:\d+/together)'", lines[2])
        assert url, lines
        with Together(base_url=url.group(1), api_key="k", max_retries=0) as client:
            path = write_jsonl(tmp_path / "capitals.jsonl", CAPITALS)
            uploaded = client.files.upload(file=path, purpose="fine-tune")
            assert [f.id for f in client.files.list().data] == [uploaded.id]
    finally:
        process.terminate()
        process.wait(timeout=10)
