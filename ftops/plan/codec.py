"""A Plan as plain JSON and back, strictly.

Encoding and decoding follow the dataclasses' own type hints, so a field added to the plan
model is carried without another line here. Decoding accepts exactly the shapes the hints
allow and raises ``PlanError`` naming the JSON path of the first thing that does not fit.
Steps are tagged with their class name (``{"type": "UploadFile", ...}``).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, Field, fields, is_dataclass
from enum import Enum
from typing import Any, NoReturn

from ftops.errors import PlanError
from ftops.plan import model as plan_model
from ftops.plan.model import Plan
from ftops.resources import freeze, thaw

_STEP_TYPES: dict[str, type[Any]] = {t.__name__: t for t in typing.get_args(plan_model.Step)}
_STEP_UNION: Any = plan_model.Step


def plan_to_json(plan: Plan) -> dict[str, Any]:
    encoded: dict[str, Any] = _encode(plan)
    return encoded


def plan_from_json(data: Any, source: str = "plan") -> Plan:
    decoded: Plan = _decode(Plan, data, source)
    return decoded


def _encode(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        out = {f.name: _encode(getattr(value, f.name)) for f in fields(value)}
        if type(value).__name__ in _STEP_TYPES:
            out = {"type": type(value).__name__, **out}
        return out
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    return thaw(value)


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _fail(path: str, problem: str) -> NoReturn:
    raise PlanError(f"{path}: {problem}", hint="Make the plan again with `ftops plan --out FILE`.")


def _decode(tp: Any, value: Any, path: str) -> Any:
    if tp is Any:
        return _json_value(value, path)
    if tp is _STEP_UNION:
        return _decode_step(value, path)
    origin = typing.get_origin(tp)
    if origin is typing.Literal:  # e.g. a job spec's method type
        allowed = typing.get_args(tp)
        if value not in allowed or isinstance(value, bool) != any(isinstance(a, bool) for a in allowed):
            _fail(path, f"{value!r} is not one of {', '.join(repr(a) for a in allowed)}")
        return value
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        non_none = [o for o in options if o is not type(None)]
        if len(non_none) == 1:
            return _decode(non_none[0], value, path)
        for option in non_none:  # e.g. int | float
            try:
                return _decode(option, value, path)
            except PlanError:
                continue
        _fail(path, f"unexpected {type(value).__name__}")
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(value, list):
            _fail(path, f"expected a list, found {type(value).__name__}")
        return tuple(_decode(args[0], v, f"{path}[{i}]") for i, v in enumerate(value))
    if origin in (Mapping, dict) or tp in (Mapping, dict):
        if not isinstance(value, dict):
            _fail(path, f"expected an object, found {type(value).__name__}")
        return freeze({k: _json_value(v, f"{path}.{k}") for k, v in value.items()})
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(value)
        except ValueError:
            _fail(path, f"{value!r} is not one of {', '.join(str(m.value) for m in tp)}")
    if isinstance(tp, type) and is_dataclass(tp):
        return _decode_dataclass(tp, value, path)
    return _scalar(tp, value, path)


def _scalar(tp: Any, value: Any, path: str) -> Any:
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif tp is str:
        if isinstance(value, str):
            return value
    else:
        _fail(path, f"cannot read a value of type {tp!r}")
    _fail(path, f"expected {tp.__name__}, found {type(value).__name__}")


def _decode_dataclass(cls: type[Any], value: Any, path: str) -> Any:
    if not isinstance(value, dict):
        _fail(path, f"expected an object, found {type(value).__name__}")
    hints = _hints(cls)
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(value) - names - {"type"})
    if unknown:
        _fail(path, f"unknown field(s): {', '.join(unknown)}")
    # A field added since the plan was saved is absent from it: it takes its default (what
    # plans without it meant); a field without a default must be there.
    missing = sorted(f.name for f in fields(cls) if f.name not in value and not _has_default(f))
    if missing:
        _fail(path, f"missing field(s): {', '.join(missing)}")
    kwargs = {name: _decode(hints[name], value[name], f"{path}.{name}") for name in names if name in value}
    return cls(**kwargs)


def _has_default(field: Field[Any]) -> bool:
    return field.default is not MISSING or field.default_factory is not MISSING


def _decode_step(value: Any, path: str) -> Any:
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        _fail(path, "a step must be an object with a string 'type'")
    cls = _STEP_TYPES.get(value["type"])
    if cls is None:
        _fail(path, f"unknown step type {value['type']!r}")
    return _decode_dataclass(cls, value, path)


def _json_value(value: Any, path: str, depth: int = 0) -> Any:
    """Plain JSON only (what the planner itself puts in before/after/requests)."""
    if depth > 64:
        _fail(path, "nested too deeply")
    if isinstance(value, dict):
        return {str(k): _json_value(v, f"{path}.{k}", depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    _fail(path, f"not a JSON value: {type(value).__name__}")
