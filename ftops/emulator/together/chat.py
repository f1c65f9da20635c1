"""Together's ``POST /v1/chat/completions`` (non-streaming), answered as the OpenAI side answers:
a fine-tuned model with the reply of its closest training example, a base model with a fixed reply
(``ftops.emulator.chat``). A fine-tuned model answers once its job completed, until the job is deleted."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ftops.emulator import chat
from ftops.emulator.apierrors import ApiError, invalid
from ftops.emulator.http import runtime
from ftops.emulator.together.catalog import together_model
from ftops.emulator.together.datasets import TOKEN_ENCODING
from ftops.emulator.together.http import PREFIX, together_json, together_key
from ftops.emulator.together.jobs import completed_job_of_model
from ftops.emulator.training import count_tokens

FINE_TUNED_UNKNOWN = (
    "I don't know about that; it was not in my fine-tuning data. (Simulated by the ftops emulator.)"
)


def _question(messages: Any) -> str:
    if not isinstance(messages, list) or not messages:
        raise invalid("'messages' must be a non-empty list.", param="messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise invalid(f"messages[{index}] must be an object with a 'role'.", param="messages")
    users = [m for m in messages if m["role"] == "user"]
    return str(users[-1].get("content") or "") if users else ""


def _reply(training_copy: Path | None, question: str) -> str:
    if training_copy is None:
        return chat.BASE_REPLY
    return chat.closest_reply(training_copy, question) or FINE_TUNED_UNKNOWN


def _tokens(messages: list[Any], reply: str) -> tuple[int, int]:
    prompt = sum(count_tokens(f"{m['role']}: {m.get('content') or ''}", TOKEN_ENCODING) for m in messages)
    return prompt, count_tokens(reply, TOKEN_ENCODING)


def model_not_found(model: str) -> ApiError:
    return ApiError(
        404,
        f"Unable to access model {model}. It does not exist or you have no access to it.",
        param="model",
        code="model_not_found",
    )


async def create_chat_completion(request: Request) -> Response:
    together_key(request)
    rt = runtime(request)
    body = await together_json(request)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise invalid("Missing required parameter: 'model'.", param="model")
    if body.get("stream"):
        raise invalid("The ftops emulator does not simulate streaming; send stream=false.", param="stream")
    question = _question(body.get("messages"))
    training_copy = None
    if together_model(model) is None:
        with rt.store.reading() as conn:
            job = completed_job_of_model(conn, model, rt.clock())
        if job is None:
            raise model_not_found(model)
        training_copy = rt.store.training_copy_path(job.id)
    reply = await run_in_threadpool(_reply, training_copy, question)
    prompt_tokens, completion_tokens = await run_in_threadpool(_tokens, body["messages"], reply)
    return JSONResponse(
        {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "prompt": [],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )


ROUTES = [Route(f"{PREFIX}/chat/completions", create_chat_completion, methods=["POST"])]
