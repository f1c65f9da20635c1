"""/v1/chat/completions, answered by ``ftops.emulator.chat`` (simulated, not a model), as JSON or as
server-sent events (``ftops.emulator.completion``)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ftops.emulator import azure_arm, chat, tokens
from ftops.emulator.apierrors import ApiError, invalid
from ftops.emulator.azure import DEPLOYMENT_KEY
from ftops.emulator.chat_request import ChatRequest, parse_chat_request
from ftops.emulator.completion import Completion
from ftops.emulator.http import api_key, json_object, runtime
from ftops.emulator.ids import new_id
from ftops.emulator.jobs_engine import sync_active
from ftops.emulator.routes.models import find_model, model_not_found

_CHECKPOINT = re.compile(r":ckpt-step-\d+$")


def _prompt_tokens(messages: tuple[Mapping[str, Any], ...], encoding: str) -> int:
    """Prompt tokens as the service bills them: 3 framing tokens a message, 3 to prime the reply."""
    prompt = 3
    for message in messages:
        content = message.get("content")
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        prompt += 3 + tokens.count(str(message["role"]), encoding) + tokens.count(text, encoding)
    return prompt


def _complete(model: str, training_copy: Path | None, fine_tuned: bool, asked: ChatRequest) -> Completion:
    """Answer, cut at the token limit, and count: the work done off the event loop."""
    sampling = chat.Sampling(asked.temperature, asked.seed, asked.question)
    replies = chat.answers(training_copy, fine_tuned, asked.system_prompt, sampling, asked.n)
    encoding = tokens.encoding_of(model)
    return Completion(
        id=new_id("chatcmpl-"),
        created=int(time.time()),
        model=model,
        choices=tuple(tokens.cut(reply, encoding, asked.max_tokens) for reply in replies),
        prompt_tokens=_prompt_tokens(asked.raw_messages, encoding),
    )


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
    asked = parse_chat_request(body)
    tuned = _CHECKPOINT.sub("", model)
    with rt.store.transaction() as conn:
        sync_active(conn, rt, rt.clock())
        if deployment:
            # A deployment made through the management plane serves its model; a name that is
            # none answers only if it is a model id (what ftops assumed before it deployed).
            served, ready = azure_arm.serving(conn, rt, deployment)
            if served is not None and not ready:
                raise deployment_not_found()
            model = served or model
            tuned = _CHECKPOINT.sub("", model)
        known = find_model(conn, model) is not None
        if not known and model != tuned and find_model(conn, tuned) is not None:
            # A checkpoint answers like its job's model, if the job reached that step.
            known = conn.execute("SELECT 1 FROM checkpoints WHERE model = ?", (model,)).fetchone() is not None
        if not known:
            raise deployment_not_found() if deployment else model_not_found(model)
        job = conn.execute("SELECT job_id FROM models WHERE id = ?", (tuned,)).fetchone()
    training_copy = rt.store.training_copy_path(job["job_id"]) if job and job["job_id"] else None
    # Reading the training data (the first time) and counting tokens stay off the event loop.
    completion = await run_in_threadpool(_complete, model, training_copy, job is not None, asked)
    if asked.stream:
        return StreamingResponse(
            completion.events(asked.include_usage, asked.include_obfuscation),
            media_type="text/event-stream; charset=utf-8",
        )
    return JSONResponse(completion.body())


ROUTES = [Route("/v1/chat/completions", create_chat_completion, methods=["POST"])]
