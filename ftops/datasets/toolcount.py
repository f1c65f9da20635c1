"""Tool definitions' tokens, counted as OpenAI's cookbook counts them ("How to count tokens with
tiktoken", section 7, ``num_tokens_for_tools``).

The service renders tool definitions into the prompt in a format of its own, which is not
published; the cookbook fitted a rule against the API's reported prompt tokens:

* per function: 7 tokens (10 on the cl100k models), plus ``name:description`` (a trailing
  period dropped);
* if it has properties: 3, then per property 3 plus ``name:type:description``, and for an
  enum -3 plus, per value, 3 and the value;
* once per example with any function: 12.

The cookbook reads only those fields and would raise on a missing one; here a missing
description or type counts as empty, and whatever else a property's schema holds (nested
``properties``, ``items``, ``anyOf``...) is counted as its compact JSON, so a deep schema is
not free. The texts go into the prompt like any other, so they are encoded with the rest.
"""

from __future__ import annotations

import json
from typing import Any, Final

from ftops.datasets.shape import Shape

FUNCTION_INIT_O200K: Final = 7
FUNCTION_INIT_CL100K: Final = 10
PROPERTIES_INIT: Final = 3
PROPERTY_KEY: Final = 3
ENUM_INIT: Final = -3
ENUM_ITEM: Final = 3
FUNCTIONS_END: Final = 12

_COUNTED_PROPERTY_KEYS: Final = frozenset({"type", "description", "enum"})


def add_function(shape: Shape, fn: dict[str, Any]) -> None:
    """Count one (already checked) function definition into ``shape``."""
    if shape.functions == 0:
        shape.overhead += FUNCTIONS_END
    shape.functions += 1
    # The o200k figure; ftops.datasets.engine adds the difference on a cl100k model.
    shape.overhead += FUNCTION_INIT_O200K
    shape.prompt.append(f"{_text(fn.get('name'))}:{_sentence(fn.get('description'))}")
    parameters = fn.get("parameters")
    properties = parameters.get("properties") if isinstance(parameters, dict) else None
    if not isinstance(properties, dict) or not properties:
        return
    shape.overhead += PROPERTIES_INIT
    for key, schema in properties.items():
        shape.overhead += PROPERTY_KEY
        schema = schema if isinstance(schema, dict) else {}
        enum = schema.get("enum")
        if isinstance(enum, list):
            shape.overhead += ENUM_INIT + ENUM_ITEM * len(enum)
            shape.prompt.extend(_text(item) for item in enum)
        shape.prompt.append(f"{key}:{_text(schema.get('type'))}:{_sentence(schema.get('description'))}")
        rest = {k: v for k, v in schema.items() if k not in _COUNTED_PROPERTY_KEYS}
        if rest:
            shape.prompt.append(json.dumps(rest, separators=(",", ":"), ensure_ascii=False))


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _sentence(value: Any) -> str:
    text = _text(value)
    return text[:-1] if text.endswith(".") else text
