"""The canonical form of one example, the unit of the content hash.

An example is canonicalised by parsing its line and serialising the value again
with sorted keys, no whitespace and ASCII escapes (``json.dumps(value,
sort_keys=True, separators=(",", ":"), ensure_ascii=True)``). Re-indenting a line,
reordering its keys, or writing ``"é"`` as ``"\\u00e9"`` gives the same canonical
form; any change to a value gives another.

ASCII escapes rather than raw UTF-8: the standard library's C encoder escapes to
ASCII about twice as fast as it writes UTF-8, and either form is canonical.

The content hash is ``sha256:`` + the SHA-256 of the canonical examples in file
order, each followed by a newline. A line that is not JSON has no canonical form;
it enters the hash as ``!`` + its text, so such a file never hashes like a valid one.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable
from typing import Any, Final

_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)


def _python_encoder() -> Callable[[Any], str]:
    encoder = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True, check_circular=False)
    return encoder.encode


def _c_encoder() -> Callable[[Any], str]:
    assert _make_encoder is not None
    # Arguments: markers (None: no cycle check, parsed JSON has none), default, string
    # encoder, indent, key separator, item separator, sort_keys, skipkeys, allow_nan.
    encode = _make_encoder(
        None, None, json.encoder.encode_basestring_ascii, None, ":", ",", True, False, False
    )
    join = "".join

    def canonical(value: Any) -> str:
        return join(encode(value, 0))

    return canonical


canonical_json: Final[Callable[[Any], str]] = _c_encoder() if _make_encoder is not None else _python_encoder()
