"""The dataset report cache: keys, misses on each input, corruption, concurrency, eviction, batches."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from ftops.datasets import cache as cache_module
from ftops.datasets import check_dataset, check_pair
from ftops.datasets.batch import CheckRequest, check_datasets
from ftops.datasets.cache import ReportCache, ReportKey, file_sha256, report_to_json

from .conftest import chat_example

MODEL = "gpt-4o-mini-2024-07-18"


def _request(path: Path, **overrides: object) -> CheckRequest:
    base = CheckRequest.of(path, "chat", model=MODEL, display_name="datasets/train.jsonl",
                           pricing={MODEL: 3.0}, n_epochs=3)
    return replace(base, **overrides)  # type: ignore[arg-type]


@pytest.fixture
def train(write_jsonl: Callable[..., Path]) -> Path:
    return write_jsonl("train.jsonl", [chat_example(i) for i in range(30)])


def test_a_cached_report_is_the_report(train: Path, tmp_path: Path) -> None:
    cache = ReportCache(tmp_path / "cache")
    request = _request(train)
    fresh = request.run()
    key = request.key(file_sha256(train))
    assert cache.get(key, train) is None
    cache.put(key, fresh)
    cached = cache.get(key, train)
    assert cached is not None and cached.path == train
    assert report_to_json(cached) == report_to_json(fresh)
    assert cached.stats == fresh.stats and cached.diagnostics == fresh.diagnostics
    assert not cached.example_hashes_known and fresh.example_hashes_known
    assert (cache.hits, cache.misses) == (1, 1)


def test_the_key_misses_on_each_of_its_inputs(train: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    digest = file_sha256(train)
    base = ReportKey.of(digest, "chat", model=MODEL, tokens=True, display_name="d/t.jsonl",
                        pricing={MODEL: 3.0}, n_epochs=3)
    variants = [
        replace(base, raw_sha256="sha256:" + "0" * 64),
        replace(base, format="preference"),
        replace(base, model="gpt-4.1-mini-2025-04-14"),
        replace(base, tokens=False),
        replace(base, display_name="d/other.jsonl"),
        replace(base, pricing=((MODEL, 4.0),)),
        replace(base, pricing=()),
        replace(base, n_epochs="auto"),
        replace(base, plain_upload=True),
        replace(base, cap=5),
    ]
    digests = {base.digest(), *(variant.digest() for variant in variants)}
    assert len(digests) == len(variants) + 1
    # the engine's rules: another version of the dataset package misses too
    before = base.digest()
    monkeypatch.setattr(cache_module, "rules_version", lambda: "another engine")
    assert base.digest() != before


def test_rules_version_covers_the_engine_and_its_tables(tmp_path: Path) -> None:
    import shutil

    cache_module.rules_version.cache_clear()
    first = cache_module.rules_version()
    assert first == cache_module.rules_version() and len(first) == 64
    engine = Path(cache_module.__file__).parent
    copy = tmp_path / "datasets"
    shutil.copytree(engine, copy, ignore=shutil.ignore_patterns("__pycache__"))
    seen = cache_module.engine_digest(copy)
    assert seen == cache_module.engine_digest(copy)
    prices = copy / "data" / "prices.json"
    prices.write_text(prices.read_text() + " ")  # a packaged table changes: reports miss
    assert cache_module.engine_digest(copy) != seen
    rule = copy / "formats.py"
    before = cache_module.engine_digest(copy)
    rule.write_text(rule.read_text() + "\n# a changed rule\n")
    assert cache_module.engine_digest(copy) != before


def test_a_changed_byte_is_a_miss(write_jsonl: Callable[..., Path], tmp_path: Path) -> None:
    path = write_jsonl("train.jsonl", [chat_example(i) for i in range(30)])
    cache = ReportCache(tmp_path / "cache")
    first = check_datasets([_request(path)], cache)
    assert (first.hits, first.misses) == (0, 1) and first.reports[0].ok
    again = check_datasets([_request(path)], cache)
    assert (again.hits, again.misses) == (1, 0)
    data = path.read_bytes()
    path.write_bytes(data.replace(b'"assistant"', b'"asistant"', 1))  # same size would not matter: bytes do
    changed = check_datasets([_request(path)], cache)
    assert (changed.hits, changed.misses) == (0, 1)
    assert not changed.reports[0].ok
    assert any(d.line == 1 for d in changed.reports[0].errors)


@pytest.mark.parametrize("damage", ["truncate", "tamper", "other-key", "garbage", "empty"])
def test_a_damaged_entry_is_ignored_and_rewritten(train: Path, tmp_path: Path, damage: str) -> None:
    cache = ReportCache(tmp_path / "cache")
    request = _request(train)
    check_datasets([request], cache)
    [entry] = (tmp_path / "cache" / "report").glob("*/*.json")
    data = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "tamper":  # a changed number with the old digest
        parsed = orjson.loads(data)
        parsed["payload"]["examples"] += 1
        entry.write_bytes(orjson.dumps(parsed))
    elif damage == "other-key":  # a valid entry under another key's name
        parsed = orjson.loads(data)
        parsed["key"] = "0" * 64
        entry.write_bytes(orjson.dumps(parsed))
    elif damage == "garbage":
        entry.write_bytes(b"\x00\xff not json")
    else:
        entry.write_bytes(b"")
    damaged = check_datasets([request], cache)
    assert (damaged.hits, damaged.misses) == (0, 1)
    assert damaged.reports[0].examples == 30
    assert orjson.loads(entry.read_bytes())["payload"]["examples"] == 30  # rewritten whole
    assert check_datasets([request], cache).hits == 1


def test_a_payload_for_other_bytes_is_never_trusted(train: Path, tmp_path: Path) -> None:
    cache = ReportCache(tmp_path / "cache")
    request = _request(train)
    key = request.key(file_sha256(train))
    wrong = replace(request.run(), raw_sha256="sha256:" + "1" * 64)
    cache.put(key, wrong)  # refused: the report is not of the key's bytes
    assert cache.get(key, train) is None


def test_least_recently_used_entries_are_evicted(write_jsonl: Callable[..., Path], tmp_path: Path) -> None:
    cache = ReportCache(tmp_path / "cache", max_entries=3)
    paths = [write_jsonl(f"t{i}.jsonl", [chat_example(i * 100 + j) for j in range(12)]) for i in range(5)]
    requests = [_request(path, display_name=path.name) for path in paths]
    for index, request in enumerate(requests[:3]):
        check_datasets([request], cache)
        for entry in (tmp_path / "cache" / "report").glob("*/*.json"):  # older uses, older times
            os.utime(entry, (entry.stat().st_atime, entry.stat().st_mtime - 10 + index))
    assert check_datasets([requests[0]], cache).hits == 1  # the oldest entry is used again: now the newest
    check_datasets([requests[3]], cache)
    assert cache.size()[0] == 3
    assert check_datasets([requests[1]], cache).hits == 0  # the least recently used went first
    assert check_datasets([requests[0]], cache).hits == 1


def test_the_folder_is_bounded_in_bytes(write_jsonl: Callable[..., Path], tmp_path: Path) -> None:
    cache = ReportCache(tmp_path / "cache", max_bytes=1)
    path = write_jsonl("t.jsonl", [chat_example(j) for j in range(12)])
    check_datasets([_request(path)], cache)
    assert cache.size() == (0, 0)


def _hammer(directory: str, path: str, rounds: int) -> int:
    """A process that writes and reads the same entries as its siblings; how many bad reads it saw."""
    cache = ReportCache(Path(directory))
    request = _request(Path(path))
    key = request.key(file_sha256(Path(path)))
    report = request.run()
    bad = 0
    for _ in range(rounds):
        cache.put(key, report)
        got = cache.get(key, Path(path))
        if got is None or report_to_json(got) != report_to_json(report):
            bad += 1
    return bad


def test_concurrent_writers_and_readers_never_see_a_torn_entry(train: Path, tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    with context.Pool(4) as pool:
        bad = pool.starmap(_hammer, [(str(tmp_path / "cache"), str(train), 40)] * 4)
    assert bad == [0, 0, 0, 0]
    assert not list((tmp_path / "cache").rglob(".tmp-*")), "no temporary file is left behind"


def test_an_unwritable_cache_is_a_slower_check_not_a_failure(train: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    checked = check_datasets([_request(train)], ReportCache(blocker / "cache"))
    assert checked.reports[0].ok and checked.misses == 1


def test_a_batch_in_worker_processes_equals_one_by_one(write_jsonl: Callable[..., Path]) -> None:
    paths = [write_jsonl(f"t{i}.jsonl", [chat_example(i * 100 + j) for j in range(20 + i)]) for i in range(4)]
    paths.append(write_jsonl("broken.jsonl", [chat_example(1), "{not json"]))
    requests = [_request(path, display_name=path.name) for path in paths]
    in_workers = check_datasets(requests, None, processes=2)
    assert in_workers.processes == 2
    parallel = in_workers.reports
    serial = check_datasets(requests, None, processes=0).reports
    assert [report_to_json(r) for r in parallel] == [report_to_json(r) for r in serial]
    # fingerprints from forked workers use this process's hash seed: they compare with its own
    assert [r.example_hashes for r in parallel] == [r.example_hashes for r in serial]
    assert any(error.line == 2 for error in parallel[-1].errors)


def test_an_unreadable_file_raises_as_without_a_cache(tmp_path: Path) -> None:
    from ftops.errors import FtopsError

    missing = _request(tmp_path / "missing.jsonl")
    with pytest.raises(FtopsError) as without:
        check_datasets([missing], None)
    with pytest.raises(FtopsError) as with_cache:
        check_datasets([missing, missing], ReportCache(tmp_path / "cache"), processes=2)
    assert str(with_cache.value) == str(without.value)


def test_pair_diagnostics_refuse_reports_without_fingerprints(train: Path, tmp_path: Path) -> None:
    cache = ReportCache(tmp_path / "cache")
    request = _request(train)
    check_datasets([request], cache)
    cached = check_datasets([request], cache).reports[0]
    fresh = check_dataset(train, "chat", model=MODEL)
    assert check_pair(fresh, fresh)  # leakage: every example shared
    with pytest.raises(ValueError, match="fingerprints"):
        check_pair(fresh, cached)


def test_cache_dir_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FTOPS_CACHE_DIR", raising=False)
    assert cache_module.default_cache_dir(tmp_path) == tmp_path / ".ftops" / "cache"
    monkeypatch.setenv("FTOPS_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert cache_module.default_cache_dir(tmp_path) == tmp_path / "elsewhere"
