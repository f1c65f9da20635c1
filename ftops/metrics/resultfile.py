"""Read a job's result file (``step_metrics.csv``) as a stream of ``StepMetrics``.

OpenAI sends the file's content base64-encoded (the spec types it only as a
string; users of the API have long had to decode it), and so does the emulator;
emulator data written before it did, and other services' files, may be plain
CSV. So the first bytes decide: a CSV header starts with ``step``; anything else
is decoded as base64, four characters at a time, without holding the whole file.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import math
from collections.abc import Iterable, Iterator

from ftops.errors import ProviderError
from ftops.metrics.model import StepMetrics

# The columns we read; others (a newer service may add some) are ignored.
STEP = "step"
TRAIN_LOSS = "train_loss"
TRAIN_ACCURACY = ("train_accuracy", "train_mean_token_accuracy")
VALID_LOSS = "valid_loss"
VALID_ACCURACY = ("valid_mean_token_accuracy", "valid_accuracy")


class ResultFileError(ProviderError):
    """The result file the service returned cannot be read as step metrics."""


def _decoded_text(chunks: Iterable[bytes]) -> Iterator[str]:
    """Text chunks of the file, base64-decoded when it is not plain CSV."""
    iterator = iter(chunks)
    head = b""
    for chunk in iterator:
        head += chunk
        if len(head.lstrip()) >= 4:
            break
    plain = head.lstrip().lower().startswith(b"step")
    decoder = io.IncrementalNewlineDecoder(None, translate=True)

    def text(data: bytes, final: bool = False) -> str:
        try:
            return decoder.decode(data.decode("utf-8"), final=final)
        except UnicodeDecodeError as error:
            raise ResultFileError(f"the result file is not UTF-8 text ({error})") from error

    if plain:
        # A chunk may end in the middle of a UTF-8 sequence: keep the tail for the next one.
        pending = head
        for chunk in iterator:
            pending += chunk
            cut = _utf8_safe_cut(pending)
            yield text(pending[:cut])
            pending = pending[cut:]
        yield text(pending, final=True)
        return
    leftover = b""
    for chunk in _chain(head, iterator):
        leftover += b"".join(chunk.split())
        usable = len(leftover) - len(leftover) % 4
        if usable:
            yield text(_b64(leftover[:usable]))
            leftover = leftover[usable:]
    if leftover:
        raise ResultFileError("the result file is neither CSV nor complete base64")
    yield text(b"", final=True)


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _b64(data: bytes) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except binascii.Error as error:
        raise ResultFileError(f"the result file is neither CSV nor base64 ({error})") from error


def _utf8_safe_cut(data: bytes) -> int:
    """The largest prefix length of ``data`` that does not split a UTF-8 sequence."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return len(data)
        if byte >= 0xC0:  # a lead byte: complete only if its sequence fits
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return len(data) if back >= need else len(data) - back
    return len(data)


def _lines(texts: Iterable[str]) -> Iterator[str]:
    pending = ""
    for piece in texts:
        pending += piece
        *complete, pending = pending.split("\n")
        yield from complete
    if pending:
        yield pending


def _number(row: dict[str, str], names: str | tuple[str, ...], line: int) -> float | None:
    for name in (names,) if isinstance(names, str) else names:
        raw = (row.get(name) or "").strip()
        if raw:
            try:
                value = float(raw)
            except ValueError:
                value = math.nan
            if not math.isfinite(value):  # NaN or infinity would break the chart and the JSON
                raise ResultFileError(f"result file line {line}: {name} {raw!r} is not a number")
            return value
    return None


def parse_result_file(chunks: Iterable[bytes]) -> tuple[StepMetrics, ...]:
    """Every row of the result file, in step order; raises ``ResultFileError`` with the line."""
    lines = _lines(_decoded_text(chunks))
    reader = csv.DictReader(lines)
    if reader.fieldnames is None:
        raise ResultFileError("the result file is empty")
    if STEP not in reader.fieldnames or TRAIN_LOSS not in reader.fieldnames:
        raise ResultFileError(
            f"the result file's header {','.join(reader.fieldnames)!r} has no step/train_loss columns"
        )
    rows: list[StepMetrics] = []
    for row in reader:
        line = reader.line_num
        step = _number(row, STEP, line)
        if step is None:
            continue  # a blank line
        if step != int(step) or step < 0:
            raise ResultFileError(f"result file line {line}: step {step!r} is not a whole number")
        rows.append(StepMetrics(
            step=int(step),
            train_loss=_number(row, TRAIN_LOSS, line),
            train_accuracy=_number(row, TRAIN_ACCURACY, line),
            valid_loss=_number(row, VALID_LOSS, line),
            valid_accuracy=_number(row, VALID_ACCURACY, line),
        ))
    rows.sort(key=lambda r: r.step)
    return tuple(rows)
