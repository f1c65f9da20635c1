"""Token counts for many examples at once, on as many cores as there are.

The cookbook encodes every text of every message separately. Calling the
tokenizer once per text spends most of the time in Python, so we encode a whole
batch in one call instead, and still get exactly the per-text counts: texts are
joined with special tokens, and tiktoken encodes the ordinary text between two
special tokens on its own (the split regex and BPE never see across one), so the
tokens between two separators are exactly the tokens of that text alone.

Per example the batch holds ``prompt texts`` EOT ``trained texts`` EOT, the texts of
each part joined by ENDOFPROMPT; a part's count is the tokens between its EOTs less
its separators. A batch whose texts themselves contain one of those two special
strings would be miscounted that way, so it is encoded text by text instead.

The Rust encoder releases the GIL, so batches run in a thread pool alongside the
parsing thread.
"""

from __future__ import annotations

import os
from array import array
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Final

from ftops.datasets.encodings import ENDOFPROMPT, ENDOFTEXT
from ftops.datasets.shape import Shape

if TYPE_CHECKING:
    import tiktoken

_ALLOWED: Final = frozenset({ENDOFTEXT, ENDOFPROMPT})

Counts = tuple[list[int], list[int]]  # per example: prompt tokens, trained tokens


def count_texts(encoding: tiktoken.Encoding, texts: Sequence[str]) -> int:
    """Tokens of each text encoded on its own, summed: the cookbook's count."""
    encode = encoding.encode_ordinary
    return sum(len(encode(text)) for text in texts)


def count_batch(encoding: tiktoken.Encoding, shapes: Sequence[Shape]) -> Counts:
    """Prompt and trained tokens of each example (texts only, no formatting overhead)."""
    parts: list[str] = []
    separators = 0
    for shape in shapes:
        parts.append(ENDOFPROMPT.join(shape.prompt))
        parts.append(ENDOFPROMPT.join(shape.trained))
        separators += max(0, len(shape.prompt) - 1) + max(0, len(shape.trained) - 1)
    text = ENDOFTEXT.join(parts) + ENDOFTEXT
    if text.count(ENDOFTEXT) != len(parts) or text.count(ENDOFPROMPT) != separators:
        return _count_one_by_one(encoding, shapes)
    tokens = array("I")
    # _core_bpe is tiktoken's Rust encoder: the public encode() would first scan the text
    # for disallowed special tokens, which we have just ruled out ourselves.
    tokens.frombytes(memoryview(encoding._core_bpe.encode_to_tiktoken_buffer(text, set(_ALLOWED))).cast("B"))
    end_token = encoding.eot_token
    prompt: list[int] = []
    trained: list[int] = []
    index = tokens.index
    start = 0
    for shape in shapes:
        stop = index(end_token, start)
        prompt.append(stop - start - max(0, len(shape.prompt) - 1))
        start = stop + 1
        stop = index(end_token, start)
        trained.append(stop - start - max(0, len(shape.trained) - 1))
        start = stop + 1
    return prompt, trained


def _count_one_by_one(encoding: tiktoken.Encoding, shapes: Sequence[Shape]) -> Counts:
    return (
        [count_texts(encoding, shape.prompt) for shape in shapes],
        [count_texts(encoding, shape.trained) for shape in shapes],
    )


class BatchCounter:
    """Counts batches in worker threads, handing results back in submission order.

    At most ``max_pending`` batches are in flight, so memory stays bounded however
    large the file is: the reader waits for the oldest batch when it gets ahead.
    """

    def __init__(self, encoding: tiktoken.Encoding, workers: int | None = None, max_pending: int = 4) -> None:
        self._encoding = encoding
        workers = max(1, workers) if workers is not None else max(1, min(4, os.cpu_count() or 1))
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ftops-tokens")
        self._pending: deque[tuple[object, Future[Counts]]] = deque()
        self._max_pending = max(1, max_pending)

    def submit(self, shapes: list[Shape], tag: object) -> Iterator[tuple[object, Counts]]:
        """Queue a batch; yields the (tag, counts) of batches that had to finish to make room."""
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
        self._pool.shutdown(wait=True)
