"""The canonical form of one example, the unit of the content hash.

An example is canonicalised by parsing its line and serialising the value again
with sorted keys, no whitespace and UTF-8 text (orjson's ``dumps(value,
option=OPT_SORT_KEYS)``). Re-indenting a line, reordering its keys, or writing
``"é"`` as ``"\\u00e9"`` gives the same canonical form; any change to a value gives
another.

orjson rather than the standard library: measured on the benchmark's data
(20 MB, CPU time), decoding to ``str`` + ``json``'s scanner + its sorted ASCII
encoder cost 7.7 ms/MB; orjson reading each line's bytes and writing it back
2.9 ms/MB (msgspec, the other candidate, 3.1 ms/MB).

A few values orjson cannot write: integers outside its 64-bit range, strings with
a lone surrogate (``"\\ud800"`` is valid JSON), nesting past its depth limit. Their
canonical form is ``~`` + the standard library's ASCII form (sorted keys, no
whitespace). Which of the two forms applies depends only on the value, never on
how the line was written or which parser read it, so the content hash keeps its
defining property.

The content hash is ``sha256:`` + the SHA-256 of the canonical examples in file
order, each followed by a newline. A line that is not JSON has no canonical form;
it enters the hash as ``!`` + its bytes, so such a file never hashes like a valid one.
"""

from __future__ import annotations

import json
from typing import Any, Final

import orjson

OUT_OF_ORJSON: Final = b"~"  # marks the canonical form of a value orjson cannot write

_ascii_canonical = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=True, check_circular=False, allow_nan=False
).encode
_dumps = orjson.dumps
_SORTED: Final = orjson.OPT_SORT_KEYS
_SORTED_LINE: Final = orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
_loads = orjson.loads
_JSONDecodeError = orjson.JSONDecodeError
_JSONEncodeError = orjson.JSONEncodeError


def canonical_bytes(value: Any) -> bytes:
    """The canonical form of any parsed JSON value.

    Raises ValueError for NaN or infinity (``1e400`` parses as infinity in the standard
    library; the service rejects it) and RecursionError for a value nested too deeply
    for the standard library.
    """
    _ascii_canonical(value)  # the check for NaN and infinity: orjson would write them as null
    return orjson_canonical(value)


def orjson_canonical(value: Any) -> bytes:
    """``canonical_bytes`` for a value known to hold no NaN or infinity."""
    try:
        return _dumps(value, option=_SORTED)
    except _JSONEncodeError:
        return OUT_OF_ORJSON + _ascii_canonical(value).encode("ascii")


def canonical_json(value: Any) -> str:
    """``canonical_bytes`` as text (both forms are valid UTF-8)."""
    return canonical_bytes(value).decode("utf-8")


def fast_object(line: bytes) -> tuple[dict[str, Any], bytes] | None:
    """A JSON object line parsed by orjson alone: the value and its canonical form + newline.

    None sends the line to the slow, exact road: anything but a clean object line (bad
    JSON, bad UTF-8, a blank line, another JSON type: the caller's standard-library parse
    reports those with its messages), and the values orjson may not read exactly. It
    reads an integer beyond 64 bits as a float, and writes every float of 1e16 or more
    with ``e+``, so any ``e+`` in the output sends the line to the exact parser (a false
    alarm in text is only slower). ``+`` is looked for first: one byte is found with
    memchr, where the two-byte ``e+`` stops at every ``e`` of English text (0.9 ms/MB).
    """
    try:
        value = _loads(line)
    except _JSONDecodeError:
        return None
    if type(value) is not dict:
        return None
    try:
        canonical = _dumps(value, option=_SORTED_LINE)
    except _JSONEncodeError:  # nested deeper than orjson writes
        return None
    if b"+" in canonical and b"e+" in canonical:
        return None
    return value, canonical
