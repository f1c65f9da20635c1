"""The common example, checked in a fraction of the time of the full rules.

Most lines of most files are nothing but ``{"messages": [...]}`` with every message
``{"role": ..., "content": "some text"}``. For those, the full checker's generality
(paths, parts, tools, weights) is pure overhead, paid per message: this module
recognises such a line in one tight loop and builds its Shape directly. Anything
else, including every line with a problem, returns None and gets the full rules
of ``formats``, which are the reference: a line accepted here would be accepted
there with the same Shape (a test compares both on the corpus and on random lines).
"""

from __future__ import annotations

from typing import Any, Final

from ftops.datasets.formats import (
    CHECKERS,
    TOKENS_PER_MESSAGE,
    TOKENS_PER_REPLY,
    Issue,
    Shape,
    check_chat,
    check_reinforcement,
)

_TRAINED, _USER, _SYSTEM, _CONTEXT = 0, 1, 2, 3
_CHAT_KINDS: Final = {"assistant": _TRAINED, "user": _USER, "system": _SYSTEM, "developer": _SYSTEM}
# reinforcement: no system role, and nothing in the messages is trained
_REINFORCEMENT_KINDS: Final = {"assistant": _CONTEXT, "user": _USER, "developer": _SYSTEM}
_NO_ISSUES: Final[list[Issue]] = []


def _simple_messages(messages: Any, kinds: dict[str, int]) -> Shape | None:
    if type(messages) is not list or not messages:
        return None
    prompt: list[str] = []
    trained: list[str] = []
    has_system = has_user = False
    for msg in messages:
        if type(msg) is not dict or len(msg) != 2:
            return None
        content = msg.get("content")
        role = msg.get("role")
        # isspace() stops at the first visible character: cheap on real text
        if type(content) is not str or type(role) is not str or not content or content.isspace():
            return None
        kind = kinds.get(role)
        if kind is None:
            return None
        if kind in (_TRAINED, _CONTEXT):
            trained.append(content)
        else:
            prompt.append(content)
            if kind == _USER:
                has_user = True
            elif kind == _SYSTEM:
                has_system = True
    count = len(messages)
    return Shape(
        count, TOKENS_PER_REPLY + count * TOKENS_PER_MESSAGE, prompt, trained, 0, has_system, has_user
    )


def fast_chat(obj: dict[str, Any]) -> tuple[Shape, list[Issue]]:
    if len(obj) == 1:
        shape = _simple_messages(obj.get("messages"), _CHAT_KINDS)
        if shape is not None and shape.trained:
            return shape, _NO_ISSUES
    return check_chat(obj)


def fast_reinforcement(obj: dict[str, Any]) -> tuple[Shape, list[Issue]]:
    if "tools" not in obj:
        messages: Any = obj.get("messages")
        shape = _simple_messages(messages, _REINFORCEMENT_KINDS)
        # the model answers the last turn, so it must be the user's or the developer's
        if shape is not None and messages[-1]["role"] in ("user", "developer"):
            # Nothing is trained: assistant turns are context, after the rest as the full check
            # puts them (the same texts in the same order, so both checks agree exactly).
            shape.prompt.extend(shape.trained)
            shape.trained.clear()
            return shape, _NO_ISSUES
    return check_reinforcement(obj)


FAST_CHECKERS: Final = {**CHECKERS, "chat": fast_chat, "reinforcement": fast_reinforcement}
