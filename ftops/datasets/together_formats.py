"""Together AI's training-line formats, as its SDK checks a file before uploading it.

- conversation (ftops's ``chat``): ``{"messages": [{"role", "content", "weight"?}, ...]}``,
  roles system, user and assistant only, a system message only first, user and assistant
  turns alternating, at least one assistant turn, ``weight`` 0 or 1 (0: not trained on);
- ``instruction``: ``{"prompt": str, "completion": str}`` (the completion is trained on);
- ``text``: ``{"text": str}`` (all of it is trained on);
- ``preference`` (DPO): OpenAI's preference format, which Together takes as it is, so
  ``formats.check_preference`` checks it.

Source: /work/shared/together-openapi/FINE_TUNING.md (the SDK's ``check_file``). Each checker
returns a ``Shape`` and issues like the OpenAI ones (``ftops.datasets.formats``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from ftops.datasets.formats import check_preference
from ftops.datasets.shape import (
    TOKENS_PER_MESSAGE,
    TOKENS_PER_REPLY,
    Check,
    Issue,
    Shape,
    blank,
    type_name,
    unknown_keys,
)

_ROLES: Final = ("system", "user", "assistant")
_MESSAGE_KEYS: Final = frozenset({"role", "content", "weight"})


def _text(check: Check, obj: dict[str, Any], key: str, what: str) -> str | None:
    if key not in obj:
        check.error("", f"missing key {key!r}", "dataset.missing-key")
        return None
    value = obj[key]
    if not isinstance(value, str):
        check.error(key, f"{key} must be a string, not {type_name(value)}", "dataset.wrong-type")
        return None
    if blank(value):
        check.error(key, f"{key} is empty: {what}", "dataset.empty-content")
        return None
    return value


def check_instruction(obj: dict[str, Any]) -> tuple[Shape, list[Issue]]:
    check = Check()
    unknown_keys(check, obj, frozenset({"prompt", "completion"}), "", "an instruction example")
    prompt = _text(check, obj, "prompt", "the model needs an instruction to answer")
    completion = _text(check, obj, "completion", "nothing to train on")
    if prompt is not None and completion is not None:
        check.shape = Shape(messages=0, overhead=0, prompt=[prompt], trained=[completion],
                            has_system=True, has_user=True)
    return check.shape, check.issues


def check_text(obj: dict[str, Any]) -> tuple[Shape, list[Issue]]:
    check = Check()
    unknown_keys(check, obj, frozenset({"text"}), "", "a text example")
    text = _text(check, obj, "text", "nothing to train on")
    if text is not None:
        check.shape = Shape(messages=0, overhead=0, prompt=[], trained=[text], has_system=True, has_user=True)
    return check.shape, check.issues


def _message(check: Check, msg: Any, path: str, index: int, previous: str | None) -> str | None:
    """Check one message and collect its text; returns its role when the message is usable."""
    if not isinstance(msg, dict):
        check.error(path, f"a message must be an object, not {type_name(msg)}", "dataset.wrong-type")
        return None
    unknown_keys(check, msg, _MESSAGE_KEYS, path, "a message")
    role, content, weight = msg.get("role"), msg.get("content"), msg.get("weight", 1)
    if role not in _ROLES:
        check.error(f"{path}.role", f"role must be system, user or assistant on Together AI, not "
                    f"{json.dumps(role)}", "dataset.wrong-role")
        return None
    if not isinstance(content, str):
        check.error(f"{path}.content", f"content must be a string, not {type_name(content)}",
                    "dataset.wrong-type")
        return None
    if isinstance(weight, bool) or weight not in (0, 1):
        check.error(f"{path}.weight", f"weight must be 0 or 1, not {json.dumps(weight)}",
                    "dataset.invalid-value")
        weight = 1
    if role == "system" and index != 0:
        check.error(f"{path}.role", "a system message may only come first", "dataset.wrong-role")
    elif role != "system" and role == previous:
        check.error(f"{path}.role", f"two {role} turns in a row: user and assistant turns must alternate",
                    "dataset.wrong-role")
    shape = check.shape
    (shape.trained if role == "assistant" and weight else shape.prompt).append(content)
    shape.messages += 1
    shape.overhead += TOKENS_PER_MESSAGE
    shape.has_system |= role == "system"
    shape.has_user |= role == "user"
    return str(role)


def check_conversation(obj: dict[str, Any]) -> tuple[Shape, list[Issue]]:
    check = Check()
    unknown_keys(check, obj, frozenset({"messages"}), "", "a conversation example")
    messages = obj.get("messages")
    if "messages" not in obj:
        check.error("", "missing key 'messages'", "dataset.missing-key")
    elif not isinstance(messages, list) or not messages:
        what = "empty" if isinstance(messages, list) else f"not an array but {type_name(messages)}"
        check.error("messages", f"messages is {what}", "dataset.empty-content")
    else:
        check.shape.overhead = TOKENS_PER_REPLY
        previous: str | None = None
        roles = []
        for index, msg in enumerate(messages):
            role = _message(check, msg, f"messages[{index}]", index, previous)
            previous = role if role is not None else previous
            roles.append(role)
        if "assistant" not in roles:
            check.error("messages", "nothing to train on: no assistant message", "dataset.nothing-to-train")
        elif not check.shape.trained and not check.issues:
            check.error("messages", "nothing to train on: every assistant message has weight 0",
                        "dataset.nothing-to-train")
    return check.shape, check.issues


TOGETHER_CHECKERS: Final[dict[str, Callable[[dict[str, Any]], tuple[Shape, list[Issue]]]]] = {
    "chat": check_conversation,
    "instruction": check_instruction,
    "text": check_text,
    "preference": check_preference,
}
