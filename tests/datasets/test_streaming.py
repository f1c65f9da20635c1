"""Streaming: the memory a check needs does not grow with the file (beyond ~20 bytes per example)."""

from __future__ import annotations

import functools
import json
import tracemalloc
from pathlib import Path

import pytest

from ftops.datasets import check_dataset, engine, hashing, tokens, wordcache

from .conftest import chat_example


def write(path: Path, examples: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(examples):
            out.write(json.dumps(chat_example(i, "a long enough answer " * 40)) + "\n")
    return path


def peak_bytes(path: Path) -> int:
    tracemalloc.start()
    try:
        report = check_dataset(path, "chat", model="gpt-4o-mini", workers=1)
        assert report.ok
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_peak_memory_is_flat_in_the_file_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Small buffers, so that a file a few MB long is many times larger than what is held at once,
    # and one batch in flight, so that the peak does not depend on thread timing.
    monkeypatch.setattr(engine, "CHUNK_BYTES", 64 * 1024)
    monkeypatch.setattr(engine, "BATCH_CHARS", 64 * 1024)
    monkeypatch.setattr(tokens, "BatchCounter", functools.partial(tokens.BatchCounter, max_pending=1))
    # and one buffer waiting for the hashing thread: with the default 16, a busy machine (the
    # hashing thread falling behind) held up to 16 more chunks, 2 MB, in the large file's peak
    monkeypatch.setattr(engine, "Hashes", functools.partial(hashing.Hashes, max_pending=1))
    monkeypatch.setattr(engine, "THREADS_FROM_BYTES", 0)  # the large-file path: hashing and counting threads
    # Every example here has a word of its own ("(17)"): the word cache keeps up to MAX_WORDS of
    # them (200,000 by default, then it starts again), a bound a few MB files do not reach.
    monkeypatch.setattr(wordcache, "MAX_WORDS", 500)
    small = write(tmp_path / "small.jsonl", 500)  # ~0.5 MB
    large = write(tmp_path / "large.jsonl", 4000)  # ~4 MB
    check_dataset(small, "chat", model="gpt-4o-mini")  # build and cache the encoding outside the measurement
    small_peak, large_peak = peak_bytes(small), peak_bytes(large)
    assert large.stat().st_size > 7 * small.stat().st_size
    # 3,500 more examples (3.5 MB more text) cost one fingerprint-table slot or two each (12
    # bytes a slot, 16 to 32 bytes an example), never their text. The statistics are counts of
    # each value, which grow with the distinct values, here a handful. What varies from run to
    # run is only where the fingerprints fall (hash() is salted per process), so which of the
    # 64 partitions have doubled: at most 64 x 128 slots x 12 bytes here, under the bound.
    assert large_peak - small_peak < 3500 * 64, (small_peak, large_peak)
    assert large_peak < large.stat().st_size / 2, (small_peak, large_peak)
