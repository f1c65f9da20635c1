"""``ftops emulator serve`` as a user runs it: a separate process any SDK can talk to."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import openai
import pytest
from openai import OpenAI


def test_serve_prints_its_url_and_answers_the_sdk(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ftops",
            "emulator",
            "serve",
            "--port",
            "0",
            "--data",
            str(tmp_path / "d"),
            "--speed",
            "500",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/v1", first_line)
        assert url, first_line
        assert "base_url" in process.stdout.readline()
        with OpenAI(base_url=url.group(0), api_key="k", max_retries=0) as client:
            assert client.files.create(file=("a.txt", b"hi"), purpose="user_data").bytes == 2
            assert any(m.id == "gpt-4o-mini" for m in client.models.list())
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert (tmp_path / "d" / "emulator.sqlite3").exists()


def test_serve_refuses_a_bad_fault_spec(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ftops", "emulator", "serve", "--faults", "429:2", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("Error: Fault spec '429:2'")
    assert "Traceback" not in result.stderr


def test_serve_reports_a_busy_port_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "ftops",
                "emulator",
                "serve",
                "--port",
                str(port),
                "--data",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert result.stderr.strip() == f"Error: Cannot listen on 127.0.0.1:{port}: Address already in use."


def test_serve_takes_the_job_cutoff_and_refuses_training_downloads(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "ftops", "emulator", "serve", "--port", "0", "--data", str(tmp_path / "d"),
         "--job-cutoff", "2026-11-24", "--refuse-training-downloads"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = re.search(r"http://127\.0\.0\.1:\d+/v1", process.stdout.readline())
        assert url
        with OpenAI(base_url=url.group(0), api_key="k", max_retries=0) as client:
            training = client.files.create(file=("t.jsonl", b'{"messages": []}\n'), purpose="fine-tune")
            with pytest.raises(openai.BadRequestError, match="Not allowed to download files of purpose"):
                client.files.content(training.id)
            with pytest.raises(openai.PermissionDeniedError, match="ended on 2026-11-24"):
                client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training.id)
    finally:
        process.terminate()
        process.wait(timeout=10)
