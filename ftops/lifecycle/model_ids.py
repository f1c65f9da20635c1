"""What a model's id says about it: the base model of an OpenAI fine-tune."""

from __future__ import annotations


def base_of(model_id: str) -> str:
    """The base model in an OpenAI fine-tuned model's id (``ft:BASE:org:suffix:id``); a base
    model (or an id of another form) is its own base."""
    parts = model_id.split(":")
    return parts[1] if parts[0] == "ft" and len(parts) > 1 and parts[1] else model_id
