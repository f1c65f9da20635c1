"""One streaming pass over a JSONL file: bytes, lines, JSON, format rules, hashes, token counts.

The file is read in binary chunks and never held whole: each chunk is hashed as
raw bytes, decoded, split into lines, parsed and checked, and the texts to count
go to the token counter's threads in batches. What is kept per example is a 64-bit
fingerprint and a line number in a compact table (for duplicates and leakage, see
``fingerprints``: about 20 bytes an example); the statistics are kept as counts of
each value seen, which grow with the range of the values, not with the number of
examples. Memory does not grow with the length of the lines, nor otherwise with the file.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from json import JSONDecoder
from json.scanner import make_scanner
from pathlib import Path
from typing import Any, Final

from ftops.datasets.canonical import canonical_bytes, fast_object
from ftops.datasets.collect import Collector
from ftops.datasets.fastpath import FAST_CHECKERS
from ftops.datasets.fingerprints import ExampleHashes, FingerprintTable
from ftops.datasets.hashing import Hashes
from ftops.datasets.linebound import MAX_IMAGES_PER_EXAMPLE, MAX_LINE_BYTES, MAX_TEXT_CHARS, PendingLine
from ftops.datasets.shape import Shape, type_name
from ftops.datasets.surrogates import lone_surrogate
from ftops.datasets.together_formats import TOGETHER_CHECKERS
from ftops.datasets.toolcount import FUNCTION_INIT_CL100K, FUNCTION_INIT_O200K
from ftops.errors import DatasetError

CHUNK_BYTES: Final = 4 * 1024 * 1024
BATCH_CHARS: Final = 2_000_000  # text per token-counting batch
BATCH_EXAMPLES: Final = 4096
BOM: Final = b"\xef\xbb\xbf"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# The C scanner behind json.loads, called directly: it skips json.loads' per-call
# whitespace handling, which is measurable at 100k+ lines. NaN and Infinity are
# Python extensions to JSON that the service rejects.
_scan_once: Callable[[str, int], tuple[Any, int]] = make_scanner(
    JSONDecoder(parse_constant=_reject_constant)  # type: ignore[arg-type]
)
_strict_loads = json.JSONDecoder(parse_constant=_reject_constant).decode


def _json_problem(error: json.JSONDecodeError) -> str:
    """The decoder's message with its column: some messages already end in "at" ("Invalid
    control character at"), which must not read "at at column"."""
    where = "column" if error.msg.endswith(" at") else "at column"
    return f"{error.msg} {where} {error.colno}"


@dataclass
class ScanResult:
    """Everything one pass learned; turned into a DatasetReport by the caller."""

    raw_sha256: str = ""
    content_hash: str = ""
    size_bytes: int = 0
    examples: int = 0
    valid_examples: int = 0
    example_hashes: ExampleHashes = field(default_factory=ExampleHashes)
    # How many valid examples had each value, when counting tokens: exact percentiles from a
    # few thousand counts, where a list or array of the values would grow with the file.
    messages: Counter[int] = field(default_factory=Counter)
    totals: Counter[int] = field(default_factory=Counter)
    trained: Counter[int] = field(default_factory=Counter)
    images: int = 0


@dataclass
class _Batch:
    lines: list[int] = field(default_factory=list)
    shapes: list[Shape] = field(default_factory=list)
    chars: int = 0


def checker_for(format: str, together: bool) -> Callable[[dict[str, Any]], tuple[Shape, list[Any]]]:
    """Together's rules for a file a Together job reads, and for its own formats whoever reads
    them (the manifest validator refuses those formats on other providers); else OpenAI's."""
    if together or format not in FAST_CHECKERS:
        return TOGETHER_CHECKERS[format]
    return FAST_CHECKERS[format]


# Files smaller than this are checked on the calling thread alone (see ``Scanner.__init__``).
THREADS_FROM_BYTES: Final = 4 * 1024 * 1024


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # ``run`` reports the unreadable file


class Scanner:
    """Checks one file; ``token_limit`` only drives the over-limit warnings."""

    def __init__(
        self,
        path: Path,
        format: str | None,  # None: hashes and example count only, no format rules
        collector: Collector,
        *,
        encoding: Any = None,  # a tiktoken.Encoding, or None for no token counts
        token_limit: int | None = None,
        model: str | None = None,
        workers: int | None = None,
        background_hashing: bool | None = None,
        together: bool = False,  # Together AI's rules for its formats (``together_formats``)
    ) -> None:
        self.path = path
        self.checker: Callable[[dict[str, Any]], tuple[Shape, list[Any]]] | None = (
            checker_for(format, together) if format is not None else None
        )
        self.format = format
        self.out = collector
        self.encoding = encoding
        # Tool definitions cost 7 tokens each on o200k models, 10 on cl100k (ftops.datasets.toolcount).
        cl100k = encoding is not None and getattr(encoding, "name", "") == "cl100k_base"
        self._extra_per_function = FUNCTION_INIT_CL100K - FUNCTION_INIT_O200K if cl100k else 0
        self.token_limit = token_limit
        self.model = model
        self.workers = workers
        self.result = ScanResult()
        # The parsing thread is the bottleneck, so for a large file SHA-256 moves to a thread of
        # its own (hashlib releases the GIL): about a sixth of the parsing thread's work, done on
        # the second core. A small file stays on one thread: starting threads costs about a
        # millisecond (far more on a busy machine), more than hashing or counting a small file
        # takes, and a project checks hundreds of small files on every plan.
        small = _size(path) < THREADS_FROM_BYTES
        if background_hashing is None:
            background_hashing = not small
        if small and workers is None:
            self.workers = 0
        self._hashes = Hashes("raw", "content", background=background_hashing)
        self._first_seen = FingerprintTable()
        self._first_line = self._first_seen.first_line  # bound once: it runs on every line
        self._batch = _Batch()
        self._counter: Any = None

    # --- the pass ------------------------------------------------------------------------------------

    def run(self) -> ScanResult:
        try:
            handle = self.path.open("rb")
        except OSError as error:
            raise DatasetError(f"cannot read {self.out.file}: {error.strerror or error}") from error
        if self.encoding is not None:
            from ftops.datasets.tokens import open_counter

            # Before the first read: a counter that forks worker processes must do it while
            # this process has one thread (the hashing thread starts with the first chunk).
            self._counter = open_counter(self.encoding, workers=self.workers, file_bytes=_size(self.path))
        try:
            with handle:
                try:
                    self._read(handle)
                except OSError as error:
                    raise DatasetError(f"cannot read {self.out.file}: {error.strerror or error}") from error
            if self._counter is not None:
                self._flush_batch(final=True)
        finally:
            if self._counter is not None:
                self._counter.close()
            digests = self._hashes.hexdigests()
        self.result.raw_sha256 = digests["raw"]
        self.result.content_hash = digests["content"]
        self.result.example_hashes = self._first_seen.freeze()  # the line numbers were only for the warnings
        return self.result

    def _read(self, handle: Any) -> None:
        pending = PendingLine(MAX_LINE_BYTES)  # a line the chunks so far have not finished
        line_number = 1
        first = True
        size = 0
        while True:
            chunk = handle.read(CHUNK_BYTES)
            if not chunk:
                break
            self._hashes.update("raw", chunk)
            size += len(chunk)
            if first:
                first = False
                if chunk.startswith(BOM):
                    self.out.error(
                        1,
                        "",
                        "the file starts with a UTF-8 byte order mark (BOM); save it without one",
                        "dataset.bom",
                    )
                    chunk = chunk[len(BOM) :]
            start = 0
            if pending.open:  # a long line: joined once it ends (or refused), not chunk by chunk
                end = chunk.find(b"\n")
                pending.add(chunk if end < 0 else chunk[:end])
                if end < 0:
                    continue
                line_number = self._pending(pending, line_number)
                start = end + 1
            cut = chunk.rfind(b"\n", start) + 1
            if cut > start:
                whole = start == 0 and cut == len(chunk)
                line_number = self._block(chunk if whole else chunk[start:cut], line_number)
            pending.add(chunk[max(cut, start) :])
        if pending.open:
            self._pending(pending, line_number)
        self.result.size_bytes = size

    def _pending(self, pending: PendingLine, line_number: int) -> int:
        """Check the line ``pending`` holds, now finished; returns the next line number."""
        if not pending.overlong:
            return self._block(pending.take(), line_number)
        assert pending.digest is not None
        self.out.error(
            line_number,
            "",
            f"the line is {pending.size:,} bytes long, more than any example the service can take "
            f"({MAX_LINE_BYTES:,} bytes: {MAX_IMAGES_PER_EXAMPLE} images of 10 MB and the text); "
            "it was not read",
            "dataset.line-too-long",
        )
        # like any line that is not JSON, it enters the content hash marked with '!'
        self._hashes.update("content", b"!" + pending.digest.hexdigest().encode("ascii") + b"\n")
        pending.reset()
        return line_number + 1

    def _block(self, block: bytes, line_number: int) -> int:
        """Check the complete lines of ``block`` (which ends with a newline); returns the next line number."""
        lines = block.split(b"\n")
        lines.pop()  # the empty bytes after the block's final newline
        check = self._line
        update = self._hashes.inline_update("content")
        if update is not None:
            for line in lines:
                update(check(line, line_number))
                line_number += 1
        else:  # one buffer for the hashing thread
            canonical: list[bytes] = []
            for line in lines:
                canonical.append(check(line, line_number))
                line_number += 1
            self._hashes.update("content", b"".join(canonical))
        return line_number

    def _line(self, line: bytes, number: int) -> bytes:
        """Check one line; returns its canonical form + newline (when it has none: '!' + its bytes)."""
        parsed = fast_object(line)
        if parsed is not None:
            value, canonical = parsed
        else:
            slow = self._slow_line(line, number)
            if slow is None:
                return b"!" + line + b"\n"
            value, canonical = slow
            if self._lone_surrogate(value, number):  # hashed by its value still, but never checked
                self.result.examples += 1
                return canonical
        self.result.examples += 1
        if self.checker is None:
            return canonical
        fingerprint = hash(canonical)
        first = self._first_line(fingerprint, number)
        if first != number:
            self.out.warning(number, "", f"exact duplicate of line {first}", "dataset.duplicate")
        shape, issues = self.checker(value)
        clean = True
        for path, message, code, severity in issues:
            self.out.add(number, path, message, code, severity)
            clean = clean and severity != "error"
        if clean and len(line) > MAX_TEXT_CHARS:  # a line's bytes bound its characters: rarely true
            clean = not self._text_too_long(shape, number)
        if clean:
            self._example(shape, number, len(line))
        return canonical

    def _text_too_long(self, shape: Shape, number: int) -> bool:
        """Text far beyond any model's context is refused before it reaches the token counter,
        whose work and memory grow with the length of a text (50 times a 4 MB run of letters)."""
        chars = sum(map(len, shape.prompt)) + sum(map(len, shape.trained))
        if chars <= MAX_TEXT_CHARS:
            return False
        self.out.error(
            number,
            "",
            f"the example holds {chars:,} characters of text, far more than any model's context "
            f"(at most {MAX_TEXT_CHARS:,}: the service cuts a training example at its token limit)",
            "dataset.text-too-long",
        )
        return True

    def _lone_surrogate(self, value: dict[str, Any], number: int) -> bool:
        """Only the standard library reads a lone surrogate escape (orjson refuses the line)."""
        surrogate = lone_surrogate(value)
        if surrogate is None:
            return False
        path, escape = surrogate
        self.out.error(
            number,
            path,
            f"the string holds a lone surrogate escape ({escape}): half of a UTF-16 pair is not "
            "text, and the service cannot read it; remove it or write the whole character",
            "dataset.lone-surrogate",
        )
        return True

    def _slow_line(self, line: bytes, number: int) -> tuple[dict[str, Any], bytes] | None:
        """The standard library's parse of a line orjson did not take: exact, and its error messages."""
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as error:
            self.out.error(
                number,
                "",
                f"not UTF-8: byte 0x{line[error.start]:02x} at column {error.start + 1}",
                "dataset.not-utf8",
            )
            return None
        value = self._parse(text, number)
        if value is None:
            return None
        try:
            return value, canonical_bytes(value) + b"\n"
        except ValueError:  # a number too large for a double: 1e400 parses as infinity
            self.out.error(number, "", "a number is out of range", "dataset.invalid-json")
        except RecursionError:
            self.out.error(number, "", "nested too deeply", "dataset.invalid-json")
        self.result.examples += 1  # an object, though not one that can be trained on
        return None

    def _parse(self, line: str, number: int) -> dict[str, Any] | None:
        if line.startswith("{"):
            try:
                value, end = _scan_once(line, 0)
            except StopIteration:
                value, end = None, -1
            except (ValueError, RecursionError):
                value, end = None, -1
            if end == len(line) or (end > 0 and not line[end:].strip()):
                return value if isinstance(value, dict) else None
        if not line.strip():
            self.out.error(
                number, "", "blank line (every line must be one JSON example)", "dataset.blank-line"
            )
            return None
        try:
            value = _strict_loads(line)
        except json.JSONDecodeError as error:
            self.out.error(number, "", f"not valid JSON: {_json_problem(error)}", "dataset.invalid-json")
            return None
        except (ValueError, RecursionError) as error:
            self.out.error(number, "", f"not valid JSON: {error}", "dataset.invalid-json")
            return None
        if not isinstance(value, dict):
            self.out.error(
                number, "", f"a line must be a JSON object, not {type_name(value)}", "dataset.not-object"
            )
            return None
        return value

    # --- per-example facts and tokens ----------------------------------------------------------------

    def _example(self, shape: Shape, number: int, size: int) -> None:
        self.result.valid_examples += 1
        self.result.images += shape.images
        if self.format != "reinforcement":
            if not shape.has_system:
                self.out.warning(number, "", "no system message", "dataset.no-system")
            if not shape.has_user:
                self.out.warning(number, "", "no user message", "dataset.no-user")
        if self._counter is None:
            return
        batch = self._batch
        batch.lines.append(number)
        batch.shapes.append(shape)
        batch.chars += size  # the line length: close enough to its text, and free
        if batch.chars >= BATCH_CHARS or len(batch.lines) >= BATCH_EXAMPLES:
            self._flush_batch()

    def _flush_batch(self, *, final: bool = False) -> None:
        batch, self._batch = self._batch, _Batch()
        if batch.lines:
            for done, counts in self._counter.submit(batch.shapes, batch):
                self._absorb(done, counts)
        if final:
            for done, counts in self._counter.drain():
                self._absorb(done, counts)

    def _absorb(self, batch: _Batch, counts: tuple[list[int], list[int]]) -> None:
        result = self.result
        limit = self.token_limit
        for number, shape, prompt, trained in zip(
            batch.lines, batch.shapes, counts[0], counts[1], strict=True
        ):
            total = shape.overhead + shape.functions * self._extra_per_function + prompt + trained
            result.messages[shape.messages] += 1
            result.totals[total] += 1
            result.trained[trained] += 1
            if limit is not None and total > limit:
                self.out.warning(
                    number,
                    "",
                    f"{total:,} tokens, over the {limit:,}-token training limit of {self.model}: "
                    f"the last {total - limit:,} will be truncated",
                    "dataset.over-token-limit",
                )
