"""Token counts for many examples at once, on as many cores as there are.

The cookbook encodes every text of every message separately. Calling the
tokenizer once per text spends much of the time in Python, so we encode a whole
batch in one call instead, and still get exactly the per-text counts: the texts
are joined with the special token <|endoftext|>, and tiktoken encodes the ordinary
text between two special tokens on its own (neither its split regex nor BPE sees
across one), so the tokens between two separators are exactly the tokens of that
text alone. A text that itself contains the string <|endoftext|> is encoded on its
own, as ordinary text, as the cookbook would count it.

Each distinct text of a batch is encoded once: a system prompt repeated on every
line of a file costs its tokens once per batch, not once per example.

The Rust encoder releases the GIL, so batches run in a thread pool alongside the
parsing thread.
"""

from __future__ import annotations

import os
from array import array
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from ftops.datasets.encodings import ENDOFTEXT
from ftops.datasets.shape import Shape

if TYPE_CHECKING:
    import tiktoken

Counts = tuple[list[int], list[int]]  # per example: prompt tokens, trained tokens


def count_texts(encoding: tiktoken.Encoding, texts: Sequence[str]) -> int:
    """Tokens of each text encoded on its own, summed: the cookbook's count."""
    encode = encoding.encode_ordinary
    return sum(len(encode(text)) for text in texts)


def count_batch(encoding: tiktoken.Encoding, shapes: Sequence[Shape]) -> Counts:
    """Prompt and trained tokens of each example (texts only, no formatting overhead)."""
    distinct = dict.fromkeys(
        text for shape in shapes for part in (shape.prompt, shape.trained) for text in part
    )
    counts: dict[str, int] = {}
    joinable: list[str] = []
    for text in distinct:
        if ENDOFTEXT in text:
            counts[text] = len(encoding.encode_ordinary(text))
        else:
            joinable.append(text)
    if joinable:
        tokens = array("I")
        # _core_bpe is tiktoken's Rust encoder: the public encode() would first scan the whole
        # text for special tokens other than the allowed one, which none of these texts holds.
        buffer = encoding._core_bpe.encode_to_tiktoken_buffer(
            ENDOFTEXT.join(joinable) + ENDOFTEXT, {ENDOFTEXT}
        )
        tokens.frombytes(memoryview(buffer).cast("B"))
        index, separator, start = tokens.index, encoding.eot_token, 0
        for text in joinable:
            stop = index(separator, start)
            counts[text] = stop - start
            start = stop + 1
    lookup = counts.__getitem__
    return (
        [sum(map(lookup, shape.prompt)) for shape in shapes],
        [sum(map(lookup, shape.trained)) for shape in shapes],
    )


class BatchCounter:
    """Counts batches in worker threads, handing results back in submission order.

    At most ``max_pending`` batches are in flight, so memory stays bounded however
    large the file is: the reader waits for the oldest batch when it gets ahead.
    """

    def __init__(self, encoding: tiktoken.Encoding, workers: int | None = None, max_pending: int = 4) -> None:
        self._encoding = encoding
        workers = max(0, workers) if workers is not None else max(1, min(4, os.cpu_count() or 1))
        # workers=0 counts inline: for a small file, starting threads costs more than they save.
        self._pool = (
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ftops-tokens") if workers else None
        )
        self._pending: deque[tuple[object, Future[Counts]]] = deque()
        self._max_pending = max(1, max_pending)

    def submit(self, shapes: list[Shape], tag: object) -> Iterator[tuple[object, Counts]]:
        """Queue a batch; yields the (tag, counts) of batches that had to finish to make room."""
        if self._pool is None:
            yield tag, count_batch(self._encoding, shapes)
            return
        self._pending.append((tag, self._pool.submit(count_batch, self._encoding, shapes)))
        while len(self._pending) > self._max_pending:
            done_tag, future = self._pending.popleft()
            yield done_tag, future.result()

    def drain(self) -> Iterator[tuple[object, Counts]]:
        while self._pending:
            tag, future = self._pending.popleft()
            yield tag, future.result()

    def close(self) -> None:
        for _, future in self._pending:
            future.cancel()
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
