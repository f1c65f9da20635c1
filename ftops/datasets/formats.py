"""The three training-line formats, checked by hand-written code (a JSON-schema validation
per line would be far too slow for large files).

The rules follow the training-format schemas of OpenAI's published OpenAPI spec
(``FineTuneChatRequestInput``, ``FineTunePreferenceRequestInput``,
``FineTuneReinforcementRequestInput`` and the chat message schemas they refer to),
plus what the service enforces beyond the schema: content that is not empty, at
least one trained assistant message, images only in user messages, no audio or
file parts.

Each checker takes one parsed line and returns a ``Shape``: what the token counter
needs (the texts of the prompt and of the trained part, the formatting overhead)
and the facts behind per-example warnings. Problems go to ``issues`` as
``(json_path, message, code, severity)``; a checker never raises on any JSON value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

Issue = tuple[str, str, str, str]  # (json path, message, code, severity)

# Cookbook chat formatting: every message costs 3 tokens plus its role (one token for
# every role in o200k_base and cl100k_base, checked in the tests), a ``name`` one more,
# and every example 3 for priming the reply.
TOKENS_PER_MESSAGE: Final = 3 + 1
TOKENS_PER_NAME: Final = 1
TOKENS_PER_REPLY: Final = 3

_FUNCTION_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_IMAGE_URL_PREFIXES: Final = ("https://", "http://", "data:image/")


@dataclass(slots=True)
class Shape:
    """One valid-enough example, as the token counter and the warnings see it."""

    messages: int = 0
    overhead: int = TOKENS_PER_REPLY  # formatting tokens known without encoding
    prompt: list[str] = field(default_factory=list)  # texts not trained on
    trained: list[str] = field(default_factory=list)  # texts trained on
    images: int = 0
    has_system: bool = False
    has_user: bool = False


class _Check:
    """State for checking one line: the issues found and the texts collected."""

    __slots__ = ("issues", "shape")

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.shape = Shape()

    def error(self, path: str, message: str, code: str) -> None:
        self.issues.append((path, message, code, "error"))

    def warning(self, path: str, message: str, code: str) -> None:
        self.issues.append((path, message, code, "warning"))


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _a(role: str) -> str:
    return f"an {role}" if role[0] in "aeio" else f"a {role}"  # "a user": the u sounds like "you"


def _unknown_keys(check: _Check, obj: dict[str, Any], allowed: frozenset[str], path: str, what: str) -> None:
    for key in obj:
        if key not in allowed:
            where = f"{path}.{key}" if path else key
            known = ", ".join(sorted(allowed))
            check.error(where, f"unknown key {key!r} in {what} (allowed: {known})", "dataset.unknown-key")


# --- content -----------------------------------------------------------------------------------------

_TEXT_PART_KEYS: Final = frozenset({"type", "text"})
_IMAGE_PART_KEYS: Final = frozenset({"type", "image_url"})
_IMAGE_URL_KEYS: Final = frozenset({"url", "detail"})
_REFUSAL_PART_KEYS: Final = frozenset({"type", "refusal"})
_UNSUPPORTED_PARTS: Final = {"input_audio": "audio", "file": "file"}


def _content(check: _Check, content: Any, path: str, role: str, out: list[str]) -> bool:
    """Check a message's content; collect its texts into ``out``. True when it holds something."""
    if isinstance(content, str):
        if _blank(content):
            check.error(path, f"empty content in {_a(role)} message", "dataset.empty-content")
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
        check.error(path, f"empty content in {_a(role)} message (an empty array)", "dataset.empty-content")
        return False
    found = False
    for index, part in enumerate(content):
        # every part that holds nothing has reported why, so no summary error is needed
        found = _part(check, part, f"{path}[{index}]", role, out) or found
    return found


def _part(check: _Check, part: Any, path: str, role: str, out: list[str]) -> bool:
    if not isinstance(part, dict):
        check.error(path, f"a content part must be an object, not {type_name(part)}", "dataset.wrong-type")
        return False
    kind = part.get("type")
    if kind == "text":
        _unknown_keys(check, part, _TEXT_PART_KEYS, path, "a text part")
        text = part.get("text")
        if not isinstance(text, str):
            check.error(f"{path}.text", f"text must be a string, not {type_name(text)}", "dataset.wrong-type")
            return False
        if _blank(text):
            check.error(f"{path}.text", f"empty text in {_a(role)} message", "dataset.empty-content")
            return False
        out.append(text)
        return True
    if kind == "image_url":
        if role != "user":
            check.error(
                path,
                f"images are allowed only in user messages, not in {_a(role)} message",
                "dataset.unsupported",
            )
            return False
        return _image(check, part, path)
    if kind == "refusal":
        if role != "assistant":
            check.error(
                path,
                f"refusal parts belong in assistant messages, not in {_a(role)} message",
                "dataset.wrong-type",
            )
            return False
        _unknown_keys(check, part, _REFUSAL_PART_KEYS, path, "a refusal part")
        refusal = part.get("refusal")
        if not isinstance(refusal, str) or _blank(refusal):
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


def _image(check: _Check, part: dict[str, Any], path: str) -> bool:
    _unknown_keys(check, part, _IMAGE_PART_KEYS, path, "an image part")
    image = part.get("image_url")
    if not isinstance(image, dict):
        check.error(
            f"{path}.image_url",
            f"image_url must be an object with a url, not {type_name(image)}",
            "dataset.wrong-type",
        )
        return False
    _unknown_keys(check, image, _IMAGE_URL_KEYS, f"{path}.image_url", "image_url")
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


# --- tools and calls ---------------------------------------------------------------------------------

_TOOL_KEYS: Final = frozenset({"type", "function"})
_FUNCTION_KEYS: Final = frozenset({"name", "description", "parameters", "strict"})
_LEGACY_FUNCTION_KEYS: Final = frozenset({"name", "description", "parameters"})
_CALL_KEYS: Final = frozenset({"id", "type", "function"})
_CALL_FUNCTION_KEYS: Final = frozenset({"name", "arguments"})


def _function_definition(check: _Check, fn: Any, path: str, allowed: frozenset[str]) -> None:
    if not isinstance(fn, dict):
        check.error(
            path, f"a function definition must be an object, not {type_name(fn)}", "dataset.wrong-type"
        )
        return
    _unknown_keys(check, fn, allowed, path, "a function definition")
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
    # The service renders tool definitions into the prompt in a format of its own; the
    # compact JSON of the definition is our estimate of their tokens.
    check.shape.prompt.append(json.dumps(fn, separators=(",", ":"), ensure_ascii=False))


def _tools(check: _Check, tools: Any, path: str) -> None:
    if not isinstance(tools, list):
        check.error(path, f"tools must be an array, not {type_name(tools)}", "dataset.wrong-type")
        return
    for index, tool in enumerate(tools):
        where = f"{path}[{index}]"
        if not isinstance(tool, dict):
            check.error(where, f"a tool must be an object, not {type_name(tool)}", "dataset.wrong-type")
            continue
        _unknown_keys(check, tool, _TOOL_KEYS, where, "a tool")
        if tool.get("type") != "function":
            check.error(f"{where}.type", "type must be 'function'", "dataset.invalid-value")
        if "function" not in tool:
            check.error(where, "missing key 'function'", "dataset.missing-key")
        else:
            _function_definition(check, tool["function"], f"{where}.function", _FUNCTION_KEYS)


def _functions(check: _Check, functions: Any, path: str) -> None:
    if not isinstance(functions, list) or not 1 <= len(functions) <= 128:
        check.error(path, "functions must be an array of 1 to 128 function definitions", "dataset.wrong-type")
        return
    for index, fn in enumerate(functions):
        _function_definition(check, fn, f"{path}[{index}]", _LEGACY_FUNCTION_KEYS)


def _call_function(check: _Check, fn: Any, path: str, out: list[str]) -> None:
    if not isinstance(fn, dict):
        check.error(
            path,
            f"function must be an object with name and arguments, not {type_name(fn)}",
            "dataset.wrong-type",
        )
        return
    _unknown_keys(check, fn, _CALL_FUNCTION_KEYS, path, "a function call")
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


def _tool_calls(check: _Check, calls: Any, path: str, out: list[str], ids: set[str]) -> bool:
    if not isinstance(calls, list) or not calls:
        check.error(path, "tool_calls must be a non-empty array", "dataset.wrong-type")
        return False
    for index, call in enumerate(calls):
        where = f"{path}[{index}]"
        if not isinstance(call, dict):
            check.error(where, f"a tool call must be an object, not {type_name(call)}", "dataset.wrong-type")
            continue
        _unknown_keys(check, call, _CALL_KEYS, where, "a tool call")
        call_id = call.get("id")
        if not isinstance(call_id, str) or not call_id:
            check.error(f"{where}.id", "id must be a non-empty string", "dataset.wrong-type")
        else:
            ids.add(call_id)
        if call.get("type") != "function":
            check.error(f"{where}.type", "type must be 'function'", "dataset.invalid-value")
        _call_function(check, call.get("function"), f"{where}.function", out)
    return True


# --- messages ----------------------------------------------------------------------------------------

_KEYS_BY_ROLE: Final = {
    "system": frozenset({"role", "content", "name"}),
    "developer": frozenset({"role", "content", "name"}),
    "user": frozenset({"role", "content", "name"}),
    "assistant": frozenset({"role", "content", "refusal", "name", "tool_calls", "function_call", "weight"}),
    "tool": frozenset({"role", "content", "tool_call_id"}),
    "function": frozenset({"role", "content", "name"}),
}
_OUTPUT_KEYS: Final = _KEYS_BY_ROLE["assistant"] - {"weight"}


def _message(
    check: _Check, msg: Any, path: str, roles: frozenset[str], call_ids: set[str], *, output: bool = False
) -> str | None:
    """Check one message and collect its texts; returns its role when it is a known one."""
    if not isinstance(msg, dict):
        check.error(path, f"a message must be an object, not {type_name(msg)}", "dataset.wrong-type")
        return None
    role = msg.get("role")
    if not isinstance(role, str) or role not in roles:
        if "role" not in msg:
            check.error(path, "missing key 'role'", "dataset.missing-key")
        else:
            check.error(
                f"{path}.role",
                f"role must be one of {', '.join(sorted(roles))}, not {role!r}",
                "dataset.wrong-role",
            )
        return None
    shape = check.shape
    shape.messages += 1
    shape.overhead += TOKENS_PER_MESSAGE
    allowed = _OUTPUT_KEYS if output else _KEYS_BY_ROLE[role]
    for key in msg:
        if key not in allowed:
            if key == "audio":
                check.error(f"{path}.audio", "audio is not supported for fine-tuning", "dataset.unsupported")
            elif key == "weight":
                check.error(
                    f"{path}.weight",
                    "weight is allowed only on assistant messages of chat data",
                    "dataset.unknown-key",
                )
            else:
                _unknown_keys(check, {key: None}, allowed, path, f"{_a(role)} message")
    name = msg.get("name")
    if name is not None:
        if not isinstance(name, str) or not name:
            check.error(f"{path}.name", "name must be a non-empty string", "dataset.wrong-type")
        else:
            shape.overhead += TOKENS_PER_NAME
            shape.prompt.append(name)
    if role == "assistant":
        _assistant(check, msg, path, call_ids)
        return role
    if role == "system" or role == "developer":
        shape.has_system = True
    elif role == "user":
        shape.has_user = True
    if "content" not in msg:
        check.error(path, f"missing key 'content' in {_a(role)} message", "dataset.missing-key")
    elif role == "function" and msg["content"] is None:
        pass
    else:
        _content(check, msg["content"], f"{path}.content", role, shape.prompt)
    if role == "tool":
        call_id = msg.get("tool_call_id")
        if not isinstance(call_id, str) or not call_id:
            check.error(
                f"{path}.tool_call_id",
                "a tool message needs tool_call_id, a non-empty string",
                "dataset.missing-key" if call_id is None else "dataset.wrong-type",
            )
        elif call_id not in call_ids:
            check.warning(
                f"{path}.tool_call_id",
                f"{call_id!r} answers no earlier tool call",
                "dataset.orphan-tool-result",
            )
    elif role == "function" and not isinstance(msg.get("name"), str):
        check.error(path, "a function message needs a name", "dataset.missing-key")
    return role


def _assistant(check: _Check, msg: dict[str, Any], path: str, call_ids: set[str]) -> None:
    weight = msg.get("weight", 1)
    if isinstance(weight, bool) or weight not in (0, 1):
        check.error(
            f"{path}.weight", f"weight must be 0 or 1, not {json.dumps(weight)}", "dataset.invalid-value"
        )
        weight = 1
    shape = check.shape
    out = shape.trained if weight else shape.prompt
    has_call = False
    if "tool_calls" in msg:
        has_call = _tool_calls(check, msg["tool_calls"], f"{path}.tool_calls", out, call_ids)
    if msg.get("function_call") is not None:
        _call_function(check, msg["function_call"], f"{path}.function_call", out)
        has_call = True
    refusal = msg.get("refusal")
    if refusal is not None:
        if isinstance(refusal, str):
            out.append(refusal)
        else:
            check.error(f"{path}.refusal", "refusal must be a string", "dataset.wrong-type")
    content = msg.get("content")
    if content is None:
        if not has_call and refusal is None:
            check.error(
                path,
                "an assistant message needs content, tool_calls or function_call",
                "dataset.missing-key" if "content" not in msg else "dataset.empty-content",
            )
    elif has_call and content == "":
        pass  # an empty string next to a call is how many exporters write "no text"
    else:
        _content(check, content, f"{path}.content", "assistant", out)


def _blank(text: str) -> bool:
    # isspace() stops at the first visible character, where strip() would copy the whole text
    return not text or text.isspace()


def _messages(check: _Check, messages: Any, path: str, roles: frozenset[str]) -> tuple[int, int]:
    """Check a message list; returns (assistant messages, trained assistant messages)."""
    if not isinstance(messages, list):
        check.error(path, f"messages must be an array, not {type_name(messages)}", "dataset.wrong-type")
        return 0, 0
    if not messages:
        check.error(path, "messages is empty", "dataset.empty-content")
        return 0, 0
    assistants = trained = 0
    call_ids: set[str] = set()
    for index, msg in enumerate(messages):
        role = _message(check, msg, f"{path}[{index}]", roles, call_ids)
        if role == "assistant":
            assistants += 1
            trained += msg.get("weight", 1) != 0
    return assistants, trained


# --- the three formats -------------------------------------------------------------------------------

_CHAT_ROLES: Final = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_CHAT_KEYS: Final = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})
_PREFERENCE_KEYS: Final = frozenset({"input", "preferred_output", "non_preferred_output"})
_PREFERENCE_INPUT_KEYS: Final = frozenset({"messages", "tools", "parallel_tool_calls"})
_REINFORCEMENT_ROLES: Final = frozenset({"developer", "user", "assistant", "tool"})


def _common_options(check: _Check, obj: dict[str, Any], path: str) -> None:
    prefix = f"{path}." if path else ""
    if "tools" in obj:
        _tools(check, obj["tools"], f"{prefix}tools")
    if "parallel_tool_calls" in obj and not isinstance(obj["parallel_tool_calls"], bool):
        check.error(
            f"{prefix}parallel_tool_calls", "parallel_tool_calls must be true or false", "dataset.wrong-type"
        )


def _require_messages(check: _Check, obj: dict[str, Any], path: str) -> bool:
    if "messages" not in obj:
        check.error(path, "missing key 'messages'", "dataset.missing-key")
        return False
    return True


def check_chat(obj: dict[str, Any]) -> tuple[Shape, list[Issue]]:
    check = _Check()
    _unknown_keys(check, obj, _CHAT_KEYS, "", "a chat example")
    _common_options(check, obj, "")
    if "functions" in obj:
        _functions(check, obj["functions"], "functions")
    if _require_messages(check, obj, ""):
        assistants, trained = _messages(check, obj["messages"], "messages", _CHAT_ROLES)
        if check.shape.messages and not trained:
            has_assistant = assistants > 0
            check.error(
                "messages",
                "nothing to train on: every assistant message has weight 0"
                if has_assistant
                else "nothing to train on: no assistant message",
                "dataset.nothing-to-train",
            )
    return check.shape, check.issues


def check_preference(obj: dict[str, Any]) -> tuple[Shape, list[Issue]]:
    check = _Check()
    _unknown_keys(check, obj, _PREFERENCE_KEYS, "", "a preference example")
    inp = obj.get("input")
    if "input" not in obj:
        check.error("", "missing key 'input'", "dataset.missing-key")
    elif not isinstance(inp, dict):
        check.error(
            "input", f"input must be an object with messages, not {type_name(inp)}", "dataset.wrong-type"
        )
    else:
        _unknown_keys(check, inp, _PREFERENCE_INPUT_KEYS, "input", "input")
        _common_options(check, inp, "input")
        if _require_messages(check, inp, "input"):
            _messages(check, inp["messages"], "input.messages", _CHAT_ROLES)
            # The input is context only: move what _messages filed as trained to the prompt.
            check.shape.prompt.extend(check.shape.trained)
            check.shape.trained.clear()
    outputs = []
    for key in ("preferred_output", "non_preferred_output"):
        outputs.append(_output(check, obj, key))
    if outputs[0] is not None and outputs[0] == outputs[1]:
        check.warning(
            "non_preferred_output",
            "the preferred and non-preferred outputs are identical",
            "dataset.identical-outputs",
        )
    return check.shape, check.issues


def _output(check: _Check, obj: dict[str, Any], key: str) -> Any:
    if key not in obj:
        check.error("", f"missing key {key!r}", "dataset.missing-key")
        return None
    value = obj[key]
    if not isinstance(value, list) or len(value) != 1:
        check.error(key, f"{key} must be an array of exactly one assistant message", "dataset.wrong-type")
        return None
    msg = value[0]
    if isinstance(msg, dict) and msg.get("role") not in (None, "assistant"):
        check.error(
            f"{key}[0].role", f"role must be 'assistant', not {msg.get('role')!r}", "dataset.wrong-role"
        )
        return None
    _message(check, msg, f"{key}[0]", frozenset({"assistant"}), set(), output=True)
    return msg


def check_reinforcement(obj: dict[str, Any]) -> tuple[Shape, list[Issue]]:
    check = _Check()
    # Only messages and tools are reserved; every other key is data for the graders.
    _common_options(check, obj, "")
    if _require_messages(check, obj, ""):
        _messages(check, obj["messages"], "messages", _REINFORCEMENT_ROLES)
        check.shape.prompt.extend(check.shape.trained)
        check.shape.trained.clear()
        messages = obj["messages"]
        if check.shape.messages and isinstance(messages, list) and isinstance(messages[-1], dict):
            last = messages[-1].get("role")
            if last not in ("user", "developer"):
                check.error(
                    f"messages[{len(messages) - 1}].role",
                    f"the last message must be a user or developer turn (the model answers it), not {last!r}",
                    "dataset.wrong-role",
                )
    return check.shape, check.issues


CHECKERS: Final[dict[str, Callable[[dict[str, Any]], tuple[Shape, list[Issue]]]]] = {
    "chat": check_chat,
    "preference": check_preference,
    "reinforcement": check_reinforcement,
}
