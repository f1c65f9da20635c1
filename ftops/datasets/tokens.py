"""Token counts for many examples at once, exact, on as many cores as there are.

The cookbook encodes every text of every message separately. Here each distinct text
of a batch is counted once (a system prompt repeated on every line costs its tokens
once per batch), and most texts never reach the BPE encoder: ``wordcache`` counts a
text as the sum of its words' counts, each distinct word encoded once (exact: see
its docstring for why). The texts it cannot split safely (a double space, a space
beside a newline or a tab...) are encoded whole by tiktoken in one call per batch:
they are joined with the special token <|endoftext|>, and tiktoken encodes the
ordinary text between two special tokens on its own (neither its split regex nor
BPE sees across one), so the tokens between two separators are exactly the tokens of
that text alone. A text that itself contains the string <|endoftext|> is encoded on
its own, as ordinary text, as the cookbook would count it.

The word loop runs in Python (under the GIL), so threads cannot share it out: a large
file's batches go to a worker process forked from this one (it inherits the loaded
encoding, and keeps its own word cache), and the parsing thread counts a batch itself
whenever the worker is busy; a small file's batches are counted inline, where starting
a process would cost more than it saves. A process that cannot fork safely (it has other
threads) counts with tiktoken in threads beside the word cache instead. Measured with
``bench/bench_datasets.py``; the figures are in ``docs/performance.md``.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import chain
from typing import TYPE_CHECKING, Final

from ftops.datasets.shape import Shape
from ftops.datasets.wordcache import encode_each, word_counter

if TYPE_CHECKING:
    import tiktoken

Counts = tuple[list[int], list[int]]  # per example: prompt tokens, trained tokens

# Files from this size on are counted with worker processes (when this process can fork
# safely); smaller ones inline. Measured here (2 cores, realistic text, inline -> one
# worker): 4.5 MB 0.21 -> 0.22 s, 8.5 MB 0.36 -> 0.30 s, 10 MB 0.41 -> 0.30 s. The plan's
# many small files never start one. See ``open_counter``.
PROCESSES_FROM_BYTES: Final = 8 * 1024 * 1024


def count_texts(encoding: tiktoken.Encoding, texts: Sequence[str]) -> int:
    """Tokens of each text encoded on its own, summed: the cookbook's count."""
    encode = encoding.encode_ordinary
    return sum(len(encode(text)) for text in texts)


def count_batch(encoding: tiktoken.Encoding, shapes: Sequence[Shape]) -> Counts:
    """Prompt and trained tokens of each example (texts only, no formatting overhead)."""
    return count_lists(encoding, [shape.prompt for shape in shapes], [shape.trained for shape in shapes])


def count_lists(
    encoding: tiktoken.Encoding, prompts: Sequence[Sequence[str]], trained: Sequence[Sequence[str]]
) -> Counts:
    """The tokens of each list of texts, summed per list, for two parallel sequences of lists."""
    distinct = list(dict.fromkeys(chain(chain.from_iterable(prompts), chain.from_iterable(trained))))
    own = getattr(encoding, "count_each", None)
    if own is not None:  # a model's own tokenizer (own_tokenizers): no word cache, each text whole
        lookup_own = dict(zip(distinct, own(distinct), strict=True)).__getitem__
        return ([sum(map(lookup_own, texts)) for texts in prompts],
                [sum(map(lookup_own, texts)) for texts in trained])
    by_words = word_counter(encoding).count_many(distinct)
    counts = {text: count for text, count in zip(distinct, by_words, strict=True) if count is not None}
    whole = [text for text, count in zip(distinct, by_words, strict=True) if count is None]
    if whole:  # texts the word cache cannot split: tiktoken, whole
        counts.update(zip(whole, encode_each(encoding, whole), strict=True))
    lookup = counts.__getitem__
    return [sum(map(lookup, texts)) for texts in prompts], [sum(map(lookup, texts)) for texts in trained]


def count_batch_whole(encoding: tiktoken.Encoding, shapes: Sequence[Shape]) -> Counts:
    """``count_batch`` without the word cache: every distinct text encoded whole by tiktoken, in
    one call that releases the GIL. What a counting thread runs: it leaves the GIL to the
    caller, which parses the file and counts other batches with the word cache meanwhile."""
    distinct = list(
        dict.fromkeys(text for shape in shapes for part in (shape.prompt, shape.trained) for text in part)
    )
    own = getattr(encoding, "count_each", None)
    counts = own(distinct) if own is not None else encode_each(encoding, distinct)
    lookup = dict(zip(distinct, counts, strict=True)).__getitem__
    return (
        [sum(map(lookup, shape.prompt)) for shape in shapes],
        [sum(map(lookup, shape.trained)) for shape in shapes],
    )


# Encodings handed to forked workers, by id: a worker inherits this table when it is
# forked, so a task names its encoding by a number instead of pickling the BPE ranks.
_FORKED: dict[int, tiktoken.Encoding] = {}


def _count_in_worker(key: int, prompts: list[list[str]], trained: list[list[str]]) -> Counts:
    return count_lists(_FORKED[key], prompts, trained)


def _ready() -> None:
    """A first task, so that the pool forks its workers at once (see ``BatchCounter``)."""


def can_fork() -> bool:
    """Forking is safe only from a process with one thread: a lock another thread holds
    (in the regex engine's cache, a logging handler...) would stay held in the child."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def open_counter(encoding: tiktoken.Encoding, *, workers: int | None, file_bytes: int) -> BatchCounter:
    """The counter for one file, as measured best on 2 cores (``docs/performance.md``):

    - a small file (under ``PROCESSES_FROM_BYTES``), or ``workers=0``: inline;
    - a large one: ``workers`` processes (default: one per core but the caller's, which
      counts too when they are busy), forked, if this process has a single thread;
    - a large one in a process that cannot fork safely: ``workers`` threads running tiktoken
      (which releases the GIL) beside the caller's word cache.
    """
    cores = os.cpu_count() or 1
    if workers is None:
        if file_bytes < PROCESSES_FROM_BYTES or cores < 2:
            return BatchCounter(encoding, workers=0)
        workers = max(1, min(4, cores - 1))
    if workers and file_bytes >= PROCESSES_FROM_BYTES and can_fork():
        return BatchCounter(encoding, workers=workers, processes=True)
    return BatchCounter(encoding, workers=workers)


class BatchCounter:
    """Counts batches in worker processes or threads, or inline, handing results back in order.

    At most ``max_in_flight`` batches wait for the workers; when they are all busy, the
    calling thread counts the next batch itself instead of waiting (with the word cache the
    counting is Python code, so the caller's core is as good as a worker's). At most
    ``max_pending`` batches are held, in flight or counted and waiting for their turn, so
    memory stays bounded however large the file is.
    """

    def __init__(
        self,
        encoding: tiktoken.Encoding,
        workers: int | None = None,
        max_pending: int | None = None,
        *,
        max_in_flight: int | None = None,
        processes: bool = False,
    ) -> None:
        self._encoding = encoding
        workers = max(0, workers) if workers is not None else max(1, min(4, os.cpu_count() or 1))
        # workers=0 counts inline: for a small file, starting workers costs more than they save.
        self._pool: Executor | None = None
        self._key = id(encoding)
        if workers and processes:
            _FORKED[self._key] = encoding
            context = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
            # With fork, the pool starts all its workers at its first task: do it now, before
            # this file's hashing thread starts, so that the children are forked from one thread.
            self._pool.submit(_ready)
        elif workers:
            self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ftops-tokens")
        self._processes = workers > 0 and processes
        self._pending: deque[tuple[object, Sequence[Shape], Future[Counts]]] = deque()
        self._in_flight = 0
        in_flight = max(1, max_in_flight if max_in_flight is not None else 2 * workers)
        self._max_pending = max(1, max_pending if max_pending is not None else 4 * in_flight + 4)
        self._max_in_flight = min(in_flight, self._max_pending)
        self.inline_batches = 0  # counted by the caller because every worker was busy

    @property
    def uses_processes(self) -> bool:
        return self._processes

    def submit(self, shapes: Sequence[Shape], tag: object) -> Iterator[tuple[object, Counts]]:
        """Queue a batch; yields the (tag, counts) of the batches done so far, in order."""
        if self._pool is not None:
            yield from self._ready()  # may find the pool broken, and drop it
        future = self._send(shapes) if self._in_flight < self._max_in_flight else None
        if future is None:
            if self._pool is None:  # inline (or no longer a pool): the older batches first, in order
                yield from self.drain()
                yield tag, count_batch(self._encoding, shapes)
                return
            future = _done(count_batch(self._encoding, shapes))
            self.inline_batches += 1
        self._pending.append((tag, shapes, future))
        while len(self._pending) > self._max_pending:
            yield self._oldest()

    def _send(self, shapes: Sequence[Shape]) -> Future[Counts] | None:
        """Hand a batch to the pool; None without a pool, or if it turns out broken (then dropped)."""
        pool = self._pool
        if pool is None:
            return None
        try:
            if self._processes:
                future = pool.submit(
                    _count_in_worker, self._key, [s.prompt for s in shapes], [s.trained for s in shapes]
                )
            else:
                future = pool.submit(count_batch_whole, self._encoding, shapes)
        except BrokenProcessPool:
            self._abandon_pool()
            return None
        self._in_flight += 1
        return future

    def drain(self) -> Iterator[tuple[object, Counts]]:
        while self._pending:
            yield self._oldest()

    def _ready(self) -> Iterator[tuple[object, Counts]]:
        """The counts of the oldest batches that are done, without waiting."""
        while self._pending and self._pending[0][2].done():
            yield self._oldest()
        # Batches done behind an unfinished one free their worker though they wait their turn.
        self._in_flight = sum(1 for _, _, future in self._pending if not future.done())

    def _oldest(self) -> tuple[object, Counts]:
        tag, shapes, future = self._pending.popleft()
        try:
            return tag, future.result()
        except BrokenProcessPool:
            # A worker died (killed, out of memory): the counts are still owed, so this batch
            # and every later one are counted here instead.
            self._abandon_pool()
            return tag, count_batch(self._encoding, shapes)
        finally:
            self._in_flight = sum(1 for _, _, pending in self._pending if not pending.done())

    def _abandon_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        self._processes = False
        pending, self._pending = self._pending, deque()
        for tag, shapes, _ in pending:
            self._pending.append((tag, shapes, _done(count_batch(self._encoding, shapes))))

    def close(self) -> None:
        for _, _, future in self._pending:
            future.cancel()
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        _FORKED.pop(self._key, None)


def _done(counts: Counts) -> Future[Counts]:
    future: Future[Counts] = Future()
    future.set_result(counts)
    return future
