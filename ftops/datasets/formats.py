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
from collections.abc import Callable
from typing import Any, Final

from ftops.datasets.parts import (
    check_call_function,
    check_content,
    check_functions,
    check_tool_calls,
    check_tools,
)
from ftops.datasets.shape import (
    TOKENS_PER_MESSAGE,
    TOKENS_PER_NAME,
    TOKENS_PER_REPLY,
    Check,
    Issue,
    Shape,
    article,
    type_name,
    unknown_keys,
)

__all__ = [
    "CHECKERS",
    "TOKENS_PER_MESSAGE",
    "TOKENS_PER_REPLY",
    "Issue",
    "Shape",
    "check_chat",
    "check_preference",
    "check_reinforcement",
    "type_name",
]

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
    check: Check, msg: Any, path: str, roles: frozenset[str], call_ids: set[str], *, output: bool = False
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
                unknown_keys(check, {key: None}, allowed, path, f"{article(role)} message")
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
        check.error(path, f"missing key 'content' in {article(role)} message", "dataset.missing-key")
    elif role == "function" and msg["content"] is None:
        pass
    else:
        check_content(check, msg["content"], f"{path}.content", role, shape.prompt)
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


def _assistant(check: Check, msg: dict[str, Any], path: str, call_ids: set[str]) -> None:
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
        has_call = check_tool_calls(check, msg["tool_calls"], f"{path}.tool_calls", out, call_ids)
    if msg.get("function_call") is not None:
        check_call_function(check, msg["function_call"], f"{path}.function_call", out)
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
        check_content(check, content, f"{path}.content", "assistant", out)


def _messages(check: Check, messages: Any, path: str, roles: frozenset[str]) -> tuple[int, int]:
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


def _common_options(check: Check, obj: dict[str, Any], path: str) -> None:
    prefix = f"{path}." if path else ""
    if "tools" in obj:
        check_tools(check, obj["tools"], f"{prefix}tools")
    if "parallel_tool_calls" in obj and not isinstance(obj["parallel_tool_calls"], bool):
        check.error(
            f"{prefix}parallel_tool_calls", "parallel_tool_calls must be true or false", "dataset.wrong-type"
        )


def _require_messages(check: Check, obj: dict[str, Any], path: str) -> bool:
    if "messages" not in obj:
        check.error(path, "missing key 'messages'", "dataset.missing-key")
        return False
    return True


def check_chat(obj: dict[str, Any]) -> tuple[Shape, list[Issue]]:
    check = Check()
    unknown_keys(check, obj, _CHAT_KEYS, "", "a chat example")
    _common_options(check, obj, "")
    if "functions" in obj:
        check_functions(check, obj["functions"], "functions")
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
    check = Check()
    unknown_keys(check, obj, _PREFERENCE_KEYS, "", "a preference example")
    inp = obj.get("input")
    if "input" not in obj:
        check.error("", "missing key 'input'", "dataset.missing-key")
    elif not isinstance(inp, dict):
        check.error(
            "input", f"input must be an object with messages, not {type_name(inp)}", "dataset.wrong-type"
        )
    else:
        unknown_keys(check, inp, _PREFERENCE_INPUT_KEYS, "input", "input")
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


def _output(check: Check, obj: dict[str, Any], key: str) -> Any:
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
    check = Check()
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
