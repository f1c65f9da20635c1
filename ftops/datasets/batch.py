"""Checking a project's datasets: each unchanged file answered from the cache, the rest in parallel.

A plan or ``validate`` hashes every file (that is all an unchanged file costs, see
``ftops.datasets.cache``), then checks the files whose reports are not cached. Several such
files are checked at once in worker processes forked from this one, one per core: the check is
Python under the GIL, so threads would not help. A single file keeps the engine's own
parallelism (a large file's token counts go to worker processes, ``ftops.datasets.tokens``); in
a batch each file is counted inline in its worker, so the processes never exceed the cores.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from ftops.datasets.cache import ReportCache, ReportKey, file_sha256
from ftops.datasets.report import DatasetReport, TrainingTerms
from ftops.datasets.tokens import can_fork
from ftops.errors import FtopsError


@dataclass(frozen=True, slots=True)
class CheckRequest:
    """One file to check, with everything its report depends on (see ``check_dataset``)."""

    path: Path
    format: str
    model: str | None = None
    tokens: bool = True
    display_name: str | None = None
    pricing: tuple[tuple[str, float], ...] = ()
    n_epochs: int | str | None = None
    terms: TrainingTerms | None = None

    @classmethod
    def of(cls, path: Path, format: str, *, model: str | None = None, tokens: bool = True,
           display_name: str | None = None, pricing: Mapping[str, float] | None = None,
           n_epochs: int | str | None = None, terms: TrainingTerms | None = None) -> CheckRequest:
        prices = tuple(sorted((pricing or {}).items()))
        return cls(path, format, model, tokens, display_name, prices, n_epochs, terms)

    @property
    def name(self) -> str:
        return self.display_name if self.display_name is not None else str(self.path)

    def key(self, raw_sha256: str) -> ReportKey:
        return ReportKey.of(raw_sha256, self.format, model=self.model, tokens=self.tokens,
                            display_name=self.name, pricing=dict(self.pricing), n_epochs=self.n_epochs,
                            terms=self.terms)

    def run(self, workers: int | None = None) -> DatasetReport:
        from ftops.datasets import check_dataset

        return check_dataset(self.path, self.format, model=self.model, tokens=self.tokens,
                             display_name=self.display_name, pricing=dict(self.pricing) or None,
                             n_epochs=self.n_epochs, workers=workers, terms=self.terms)


@dataclass(frozen=True, slots=True)
class CheckedBatch:
    reports: tuple[DatasetReport, ...]  # in the order of the requests
    keys: tuple[ReportKey | None, ...]  # each report's cache key; None without a cache or an unreadable file
    hits: int
    misses: int
    processes: int  # worker processes the misses were checked in (0: one after another, here)


def check_datasets(requests: Sequence[CheckRequest], cache: ReportCache | None = None, *,
                   processes: int | None = None) -> CheckedBatch:
    """Every request's report: from ``cache`` when its key is there, else checked (and stored).

    ``processes`` bounds the worker processes for the files not cached (default: the cores;
    0 or 1 checks them one after another here). Raises what ``check_dataset`` raises for a file
    that cannot be read.
    """
    keys: list[ReportKey | None] = [None] * len(requests)
    reports: list[DatasetReport | None] = [None] * len(requests)
    if cache is not None:
        for index, digest in enumerate(_hash_all([r.path for r in requests])):
            if digest is None:
                continue  # unreadable: the check below raises the engine's own error for it
            keys[index] = found = requests[index].key(digest)
            reports[index] = cache.get(found, requests[index].path)
    missing = [index for index, report in enumerate(reports) if report is None]
    checked, used = _check([requests[i] for i in missing], processes)
    for index, report in zip(missing, checked, strict=True):
        reports[index] = report
        key = keys[index]
        if cache is not None and key is not None:
            cache.put(key, report)
    done = tuple(r for r in reports if r is not None)
    assert len(done) == len(requests)
    return CheckedBatch(done, tuple(keys), len(requests) - len(missing), len(missing), used)


def _hash_all(paths: Sequence[Path]) -> list[str | None]:
    """Each file's sha256 (None when it cannot be read), several files at once: hashlib releases
    the GIL on each 1 MB chunk, so threads use the cores."""
    if len(paths) <= 1:
        return [_try_hash(path) for path in paths]
    with ThreadPoolExecutor(max_workers=min(len(paths), os.cpu_count() or 1),
                            thread_name_prefix="ftops-dataset-hash") as pool:
        return list(pool.map(_try_hash, paths))


def _try_hash(path: Path) -> str | None:
    try:
        return file_sha256(path)
    except OSError:
        return None


def _check(requests: Sequence[CheckRequest], processes: int | None) -> tuple[list[DatasetReport], int]:
    """The reports, and how many worker processes made them."""
    limit = min(len(requests), processes if processes is not None else (os.cpu_count() or 1))
    if limit < 2 or not can_fork():
        return [request.run() for request in requests], 0
    results: list[DatasetReport | None] = [None] * len(requests)
    try:
        with ProcessPoolExecutor(max_workers=limit, mp_context=multiprocessing.get_context("fork")) as pool:
            futures: list[Future[DatasetReport | None]] = [pool.submit(_run_in_worker, r) for r in requests]
            for index, future in enumerate(futures):
                results[index] = future.result()
    except BrokenProcessPool:
        pass  # a worker died (killed, out of memory): what it had not finished is checked below
    # A file that failed in a worker (or was never finished) is checked here, so that its error is
    # raised exactly as without workers (errors carry diagnostics that need not survive pickling).
    return [result if result is not None else requests[i].run() for i, result in enumerate(results)], limit


def _run_in_worker(request: CheckRequest) -> DatasetReport | None:
    # Forked from the caller, so the example fingerprints (``hash``) use the caller's hash seed
    # and compare with its own; token counts inline: the batch already has a process per core.
    try:
        return request.run(workers=0)
    except FtopsError:
        return None
