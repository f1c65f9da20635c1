"""Rules for what messages hold: content parts (text, images, refusals), tools, and calls."""

from __future__ import annotations

import json
import re
from typing import Any, Final

from ftops.datasets.shape import Check, article, blank, type_name, unknown_keys
from ftops.datasets.toolcount import add_function

_FUNCTION_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_IMAGE_URL_PREFIXES: Final = ("https://", "http://", "data:image/")


_TEXT_PART_KEYS: Final = frozenset({"type", "text"})
_IMAGE_PART_KEYS: Final = frozenset({"type", "image_url"})
_IMAGE_URL_KEYS: Final = frozenset({"url", "detail"})
_REFUSAL_PART_KEYS: Final = frozenset({"type", "refusal"})
_UNSUPPORTED_PARTS: Final = {"input_audio": "audio", "file": "file"}


def check_content(check: Check, content: Any, path: str, role: str, out: list[str]) -> bool:
    """Check a message's content; collect its texts into ``out``. True when it holds something."""
    if isinstance(content, str):
        if blank(content):
            check.error(path, f"empty content in {article(role)} message", "dataset.empty-content")
            return False
        out.append(content)
        return True
    if not isinstance(content, list):
        check.error(
            path,
            f"content must be a string or an array of parts, not {type_name(content)}",
            "dataset.wrong-type",
        )
        return False
    if not content:
        check.error(
            path, f"empty content in {article(role)} message (an empty array)", "dataset.empty-content"
        )
        return False
    found = False
    for index, part in enumerate(content):
        # every part that holds nothing has reported why, so no summary error is needed
        found = _part(check, part, f"{path}[{index}]", role, out) or found
    return found


def _part(check: Check, part: Any, path: str, role: str, out: list[str]) -> bool:
    if not isinstance(part, dict):
        check.error(path, f"a content part must be an object, not {type_name(part)}", "dataset.wrong-type")
        return False
    kind = part.get("type")
    if kind == "text":
        unknown_keys(check, part, _TEXT_PART_KEYS, path, "a text part")
        text = part.get("text")
        if not isinstance(text, str):
            check.error(f"{path}.text", f"text must be a string, not {type_name(text)}", "dataset.wrong-type")
            return False
        if blank(text):
            check.error(f"{path}.text", f"empty text in {article(role)} message", "dataset.empty-content")
            return False
        out.append(text)
        return True
    if kind == "image_url":
        if role != "user":
            check.error(
                path,
                f"images are allowed only in user messages, not in {article(role)} message",
                "dataset.unsupported",
            )
            return False
        return _image(check, part, path)
    if kind == "refusal":
        if role != "assistant":
            check.error(
                path,
                f"refusal parts belong in assistant messages, not in {article(role)} message",
                "dataset.wrong-type",
            )
            return False
        unknown_keys(check, part, _REFUSAL_PART_KEYS, path, "a refusal part")
        refusal = part.get("refusal")
        if not isinstance(refusal, str) or blank(refusal):
            check.error(f"{path}.refusal", "refusal must be a non-empty string", "dataset.wrong-type")
            return False
        out.append(refusal)
        return True
    if isinstance(kind, str) and kind in _UNSUPPORTED_PARTS:
        check.error(
            path, f"{_UNSUPPORTED_PARTS[kind]} input is not supported for fine-tuning", "dataset.unsupported"
        )
        return False
    check.error(
        f"{path}.type",
        f"unknown content part type {kind!r} (expected 'text' or 'image_url')",
        "dataset.wrong-type",
    )
    return False


def _image(check: Check, part: dict[str, Any], path: str) -> bool:
    unknown_keys(check, part, _IMAGE_PART_KEYS, path, "an image part")
    image = part.get("image_url")
    if not isinstance(image, dict):
        check.error(
            f"{path}.image_url",
            f"image_url must be an object with a url, not {type_name(image)}",
            "dataset.wrong-type",
        )
        return False
    unknown_keys(check, image, _IMAGE_URL_KEYS, f"{path}.image_url", "image_url")
    url = image.get("url")
    if not isinstance(url, str) or not url.startswith(_IMAGE_URL_PREFIXES):
        check.error(
            f"{path}.image_url.url",
            "url must be an http(s) URL or a data:image/...;base64 URL",
            "dataset.invalid-value",
        )
        return False
    detail = image.get("detail")
    if detail is not None and detail not in ("auto", "low", "high"):
        check.error(
            f"{path}.image_url.detail",
            f"detail must be 'auto', 'low' or 'high', not {detail!r}",
            "dataset.invalid-value",
        )
    check.shape.images += 1
    return True


# --- tools and calls ----------------------------------------------------------------------------

_TOOL_KEYS: Final = frozenset({"type", "function"})
_FUNCTION_KEYS: Final = frozenset({"name", "description", "parameters", "strict"})
_LEGACY_FUNCTION_KEYS: Final = frozenset({"name", "description", "parameters"})
_CALL_KEYS: Final = frozenset({"id", "type", "function"})
_CALL_FUNCTION_KEYS: Final = frozenset({"name", "arguments"})


def _function_definition(check: Check, fn: Any, path: str, allowed: frozenset[str]) -> None:
    if not isinstance(fn, dict):
        check.error(
            path, f"a function definition must be an object, not {type_name(fn)}", "dataset.wrong-type"
        )
        return
    unknown_keys(check, fn, allowed, path, "a function definition")
    name = fn.get("name")
    if not isinstance(name, str) or not _FUNCTION_NAME.fullmatch(name):
        check.error(
            f"{path}.name", "name must be 1-64 characters of a-z, A-Z, 0-9, _ or -", "dataset.invalid-value"
        )
    if "description" in fn and not isinstance(fn["description"], str):
        check.error(f"{path}.description", "description must be a string", "dataset.wrong-type")
    if "parameters" in fn and not isinstance(fn["parameters"], dict):
        check.error(f"{path}.parameters", "parameters must be a JSON Schema object", "dataset.wrong-type")
    if fn.get("strict") is not None and not isinstance(fn.get("strict"), bool):
        check.error(f"{path}.strict", "strict must be a boolean", "dataset.wrong-type")
    # The service renders tool definitions into the prompt in a format of its own: counted by
    # the cookbook's rule (ftops.datasets.toolcount).
    add_function(check.shape, fn)


def check_tools(check: Check, tools: Any, path: str) -> None:
    if not isinstance(tools, list):
        check.error(path, f"tools must be an array, not {type_name(tools)}", "dataset.wrong-type")
        return
    for index, tool in enumerate(tools):
        where = f"{path}[{index}]"
        if not isinstance(tool, dict):
            check.error(where, f"a tool must be an object, not {type_name(tool)}", "dataset.wrong-type")
            continue
        unknown_keys(check, tool, _TOOL_KEYS, where, "a tool")
        if tool.get("type") != "function":
            check.error(f"{where}.type", "type must be 'function'", "dataset.invalid-value")
        if "function" not in tool:
            check.error(where, "missing key 'function'", "dataset.missing-key")
        else:
            _function_definition(check, tool["function"], f"{where}.function", _FUNCTION_KEYS)


def check_functions(check: Check, functions: Any, path: str) -> None:
    if not isinstance(functions, list) or not 1 <= len(functions) <= 128:
        check.error(path, "functions must be an array of 1 to 128 function definitions", "dataset.wrong-type")
        return
    for index, fn in enumerate(functions):
        _function_definition(check, fn, f"{path}[{index}]", _LEGACY_FUNCTION_KEYS)


def check_call_function(check: Check, fn: Any, path: str, out: list[str]) -> None:
    if not isinstance(fn, dict):
        check.error(
            path,
            f"function must be an object with name and arguments, not {type_name(fn)}",
            "dataset.wrong-type",
        )
        return
    unknown_keys(check, fn, _CALL_FUNCTION_KEYS, path, "a function call")
    name, arguments = fn.get("name"), fn.get("arguments")
    if not isinstance(name, str) or not name:
        check.error(f"{path}.name", "name must be a non-empty string", "dataset.wrong-type")
    else:
        out.append(name)
    if not isinstance(arguments, str):
        check.error(
            f"{path}.arguments",
            f"arguments must be a string of JSON, not {type_name(arguments)}",
            "dataset.wrong-type",
        )
        return
    out.append(arguments)
    try:
        json.loads(arguments)
    except ValueError:
        check.warning(f"{path}.arguments", "arguments is not valid JSON", "dataset.arguments-not-json")


def check_tool_calls(check: Check, calls: Any, path: str, out: list[str], ids: set[str]) -> bool:
    if not isinstance(calls, list) or not calls:
        check.error(path, "tool_calls must be a non-empty array", "dataset.wrong-type")
        return False
    for index, call in enumerate(calls):
        where = f"{path}[{index}]"
        if not isinstance(call, dict):
            check.error(where, f"a tool call must be an object, not {type_name(call)}", "dataset.wrong-type")
            continue
        unknown_keys(check, call, _CALL_KEYS, where, "a tool call")
        call_id = call.get("id")
        if not isinstance(call_id, str) or not call_id:
            check.error(f"{where}.id", "id must be a non-empty string", "dataset.wrong-type")
        else:
            ids.add(call_id)
        if call.get("type") != "function":
            check.error(f"{where}.type", "type must be 'function'", "dataset.invalid-value")
        check_call_function(check, call.get("function"), f"{where}.function", out)
    return True
