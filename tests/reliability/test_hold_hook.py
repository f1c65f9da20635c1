"""The emulator's crash-test hook (``ftops.emulator.holds``): the k-th mutating request is
handled and logged, its answer waits for ``release()``; other requests are not counted."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from ftops.emulator import EmulatorConfig, RunningEmulator, start_background


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[RunningEmulator]:
    emu = start_background(EmulatorConfig(data_dir=tmp_path / "emulator", speed=1000))
    yield emu
    emu.stop()


def test_the_kth_mutating_request_is_done_and_logged_but_its_answer_waits(emulator: RunningEmulator) -> None:
    client = openai.OpenAI(api_key="k", base_url=emulator.base_url, max_retries=0, timeout=30)
    hold = emulator.hold_mutation(2)
    client.models.list()  # a read: not counted
    client.files.create(file=("a.jsonl", b"{}\n"), purpose="fine-tune")  # 1st: answered at once
    answers: list[str] = []
    second = threading.Thread(
        target=lambda: answers.append(client.files.create(file=("b.jsonl", b"{}\n"), purpose="fine-tune").id))
    second.start()
    assert hold.reached.wait(10)
    time.sleep(0.2)
    assert answers == []  # held...
    assert sorted(f.filename for f in client.files.list()) == ["a.jsonl", "b.jsonl"]  # ...but done
    assert [r.path for r in emulator.requests() if r.mutating] == ["/v1/files", "/v1/files"]
    hold.release()
    second.join(10)
    assert len(answers) == 1 and answers[0].startswith("file-")
    client.files.create(file=("c.jsonl", b"{}\n"), purpose="fine-tune")  # disarmed: answered at once


def test_k_counts_from_one() -> None:
    from ftops.emulator.holds import MutationHold

    with pytest.raises(ValueError, match="from 1"):
        MutationHold().arm(0)


def test_a_path_glob_counts_only_the_matching_requests() -> None:
    from ftops.emulator.holds import MutationHold

    hold = MutationHold()
    hold.arm(1, "*/fine_tuning/jobs")
    assert not hold.claim("POST", "/v1/files")  # another create comes first: not counted
    assert not hold.claim("GET", "/v1/fine_tuning/jobs")  # a read: never
    assert hold.claim("POST", "/v1/fine_tuning/jobs")
