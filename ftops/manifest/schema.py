"""The JSON Schema of one manifest file, and its errors mapped back to file, line and column.

The schema (``manifest.schema.json``, draft 2020-12) is the single description of
the format: editors use it through ``ftops schema``, and the loader validates
each file against it. Where the schema's own wording is poor for people
(``anyOf`` failures, patterns), a sub-schema carries an ``errorMessage``, the
same keyword VS Code's JSON support shows.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources
from typing import Any, Final

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from ftops.diagnostics import Diagnostic
from ftops.manifest.reader import LocatedDocument, PathKey, kind

SCHEMA_FILE: Final = "manifest.schema.json"

# Hyperparameters that exist, but only for another method: named in the message.
_METHOD_ONLY: Final = {
    "beta": "dpo",
    "reasoning_effort": "reinforcement",
    "compute_multiplier": "reinforcement",
    "eval_interval": "reinforcement",
    "eval_samples": "reinforcement",
}


@cache
def manifest_schema_text() -> str:
    return resources.files("ftops.manifest").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def manifest_schema() -> dict[str, Any]:
    """A fresh copy of the schema (callers may mutate it)."""
    schema: dict[str, Any] = json.loads(manifest_schema_text())
    return schema


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(manifest_schema())


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest candidate, or ``""``."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {matches[0]!r}?" if matches else ""


def schema_diagnostics(doc: LocatedDocument, skip_keys: frozenset[PathKey] = frozenset()) -> list[Diagnostic]:
    """Every schema violation of one document. ``skip_keys``: unknown keys already reported otherwise."""
    out: list[Diagnostic] = []
    seen: set[tuple[str, str]] = set()
    for error in _validator().iter_errors(doc.data):
        for diagnostic in _explain(doc, error, skip_keys):
            if (diagnostic.path, diagnostic.message) not in seen:
                seen.add((diagnostic.path, diagnostic.message))
                out.append(diagnostic)
    return out


def _explain(doc: LocatedDocument, error: ValidationError, skip: frozenset[PathKey]) -> Iterator[Diagnostic]:
    path: PathKey = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    validator = error.validator
    instance: Any = error.instance
    expected: Any = error.validator_value
    code = f"manifest.schema.{validator}"

    if "propertyNames" in error.absolute_schema_path:  # the instance is a key, not a value
        name = str(instance)
        message = schema.get("errorMessage") or _generic(error)
        yield doc.diagnostic((*path, name), f"the name {name!r} is not allowed: {message}",
                             "manifest.bad-name", key=True)
        return
    if validator == "additionalProperties":
        declared = list(schema.get("properties", {}))
        for key in instance:
            if key in declared or (*path, key) in skip:
                continue
            message = f"unknown key {key!r}"
            if key in _METHOD_ONLY and "hyperparameters" in path:
                message += f": {key} is a hyperparameter of method {_METHOD_ONLY[key]} only"
            else:
                hint = did_you_mean(key, declared)
                if not hint and declared:
                    hint = f" (expected one of: {', '.join(declared)})"
                message += hint
            yield doc.diagnostic((*path, key), message, "manifest.unknown-key", key=True)
        return
    if validator == "required":
        for key in expected:
            if isinstance(instance, dict) and key not in instance:
                yield doc.diagnostic(path, f"missing required key {key!r}", "manifest.missing-key", key=True)
        return
    if validator == "not" and "errorMessage" in schema:
        yield doc.diagnostic(path, schema["errorMessage"], "manifest.not-allowed", key=True)
        return
    if validator == "type":
        message = f"must be {_type_names(expected)}, not {kind(instance)}"
    elif "errorMessage" in schema:
        message = schema["errorMessage"]
    elif validator in ("anyOf", "oneOf") and error.context:
        deepest = max(error.context, key=lambda e: len(e.absolute_path))
        yield from _explain(doc, deepest, skip)
        return
    else:
        message = _generic(error)
    yield doc.diagnostic(path, message, code)


def _type_names(expected: Any) -> str:
    names = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false",
             "object": "a mapping", "array": "a list", "null": "null"}
    if isinstance(expected, list):
        return " or ".join(names.get(str(t), str(t)) for t in expected)
    return names.get(expected, str(expected))


def _generic(error: ValidationError) -> str:
    value: Any = error.validator_value
    instance: Any = error.instance
    match error.validator:
        case "enum":
            options = [str(v) for v in value]
            hint = did_you_mean(str(instance), options) if isinstance(instance, str) else ""
            return f"must be one of {', '.join(options)}, not {instance!r}{hint}"
        case "const":
            return f"must be {value!r}"
        case "minLength":
            return "must not be empty" if value == 1 else f"must be at least {value} characters"
        case "maxLength":
            return f"must be at most {value} characters (it has {len(instance)})"
        case "minItems":
            return "must not be empty" if value == 1 else f"must have at least {value} items"
        case "minimum":
            return f"must be at least {value}"
        case "maximum":
            return f"must be at most {value}"
        case "exclusiveMinimum":
            return f"must be greater than {value}"
        case "exclusiveMaximum":
            return f"must be less than {value}"
        case "pattern":
            return f"must match {value}"
        case "maxProperties":
            return f"must have at most {value} entries"
        case _:
            return str(error.message)
