"""/v1/chat/completions (non-streaming), answered by ``ftops.emulator.chat``: simulated, not a model."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ftops.emulator import chat
from ftops.emulator.apierrors import ApiError, invalid
from ftops.emulator.azure import DEPLOYMENT_KEY
from ftops.emulator.http import api_key, json_object, runtime
from ftops.emulator.ids import new_id
from ftops.emulator.jobs_engine import sync_active
from ftops.emulator.routes.models import find_model, model_not_found
from ftops.emulator.training import count_tokens

_CHECKPOINT = re.compile(r":ckpt-step-\d+$")
USAGE_ENCODING = "o200k_base"


def _question(messages: Any) -> str:
    if not isinstance(messages, list) or not messages:
        raise invalid("'messages' must be a non-empty list.", param="messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise invalid(f"messages[{index}] must be an object with a 'role'.", param=f"messages[{index}]")
    users = [m for m in messages if m["role"] == "user"]
    if not users:
        return ""
    content = users[-1].get("content")
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def _reply(training_copy: Path | None, fine_tuned: bool, question: str) -> str:
    if training_copy is not None:
        learned = chat.closest_reply(training_copy, question)
        if learned is not None:
            return learned
    if fine_tuned:
        return (
            "I don't know about that; it was not in my fine-tuning data. (Simulated by the ftops emulator.)"
        )
    return chat.BASE_REPLY


def _usage(messages: list[Any], reply: str) -> tuple[int, int]:
    """Token counts as the service bills them: 3 framing tokens a message, 3 to prime the reply."""
    prompt = 3
    for message in messages:
        content = message.get("content")
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        prompt += 3 + count_tokens(str(message["role"]), USAGE_ENCODING) + count_tokens(text, USAGE_ENCODING)
    return prompt, count_tokens(reply, USAGE_ENCODING)


def deployment_not_found() -> ApiError:
    return ApiError(
        404,
        "The API deployment for this resource does not exist. If you created the deployment within the "
        "last 5 minutes, please wait a moment and try again.",
        code="DeploymentNotFound",
    )


async def create_chat_completion(request: Request) -> Response:
    api_key(request)
    rt = runtime(request)
    body = await json_object(request)
    # On Azure the deployment in the path names the model (the body's model is not used).
    deployment = request.scope.get("state", {}).get(DEPLOYMENT_KEY)
    model = deployment or body.get("model")
    if not isinstance(model, str) or not model:
        raise invalid("Missing required parameter: 'model'.", param="model")
    if body.get("stream"):
        raise invalid("The ftops emulator does not simulate streaming; send stream=false.", param="stream")
    question = _question(body.get("messages"))
    count = body.get("n")
    count = 1 if count is None else count
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 8:
        raise invalid("'n' must be an integer from 1 to 8.", param="n")
    tuned = _CHECKPOINT.sub("", model)
    with rt.store.transaction() as conn:
        sync_active(conn, rt, rt.clock())
        known = find_model(conn, model) is not None
        if not known and model != tuned and find_model(conn, tuned) is not None:
            # A checkpoint answers like its job's model, if the job reached that step.
            known = conn.execute("SELECT 1 FROM checkpoints WHERE model = ?", (model,)).fetchone() is not None
        if not known:
            raise deployment_not_found() if deployment else model_not_found(model)
        job = conn.execute("SELECT job_id FROM models WHERE id = ?", (tuned,)).fetchone()
    training_copy = rt.store.training_copy_path(job["job_id"]) if job and job["job_id"] else None
    # Reading the training data (the first time) and counting tokens stay off the event loop.
    reply = await run_in_threadpool(_reply, training_copy, job is not None, question)
    prompt_tokens, completion_tokens = await run_in_threadpool(_usage, body["messages"], reply)
    return JSONResponse(
        {
            "id": new_id("chatcmpl-"),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": index,
                    "message": {"role": "assistant", "content": reply, "refusal": None, "annotations": []},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
                for index in range(count)
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens * count,
                "total_tokens": prompt_tokens + completion_tokens * count,
            },
            "service_tier": "default",
            "system_fingerprint": "fp_ftops_emulator",
        }
    )


ROUTES = [Route("/v1/chat/completions", create_chat_completion, methods=["POST"])]
