"""What a model's id says about it: the base model of a fine-tune."""

from __future__ import annotations

from ftops.provider.registry import base_model_of_any


def base_of(model_id: str) -> str:
    """The base model a fine-tuned model's id names (in any known provider's form, e.g. OpenAI's
    ``ft:BASE:org:suffix:id``); a base model (or an id of another form) is its own base."""
    return base_model_of_any(model_id) or model_id
