"""Together's ``POST /v1/chat/completions`` (non-streaming), answered as the OpenAI side answers
(``ftops.emulator.chat``): a fine-tuned model from its training replies, any model from its system
prompt's sentences, else a fixed reply; ``temperature``, ``seed`` and ``n`` as there. A fine-tuned
model answers once its job completed, until the job is deleted; a dedicated endpoint's name
answers as the model its ready deployment serves."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ftops.emulator import chat
from ftops.emulator.apierrors import ApiError, invalid
from ftops.emulator.chat_request import ChatRequest, parse_chat_request
from ftops.emulator.http import runtime
from ftops.emulator.together.catalog import together_model
from ftops.emulator.together.datasets import TOKEN_ENCODING
from ftops.emulator.together.endpoints import model_behind
from ftops.emulator.together.http import PREFIX, together_json, together_key
from ftops.emulator.together.jobs import completed_job_of_model
from ftops.emulator.training import count_tokens


def _replies(training_copy: Path | None, asked: ChatRequest) -> tuple[str, ...]:
    sampling = chat.Sampling(asked.temperature, asked.seed, asked.question)
    return chat.answers(training_copy, training_copy is not None, asked.system_prompt, sampling, asked.n)


def _tokens(asked: ChatRequest, replies: tuple[str, ...]) -> tuple[int, int]:
    prompt = sum(count_tokens(f"{m.role}: {m.text}", TOKEN_ENCODING) for m in asked.messages)
    return prompt, sum(count_tokens(reply, TOKEN_ENCODING) for reply in replies)


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
    asked = parse_chat_request(body)  # the OpenAI side's checks: messages, n, temperature, seed
    if asked.stream:
        raise invalid(
            "The ftops emulator does not simulate Together's streaming; send stream=false.", param="stream"
        )
    training_copy = None
    with rt.store.reading() as conn:
        # A dedicated endpoint's name (``<project>/<endpoint>``) answers as the model it serves.
        served = model_behind(conn, model, rt.clock()) or model
        if together_model(served) is None:
            job = completed_job_of_model(conn, served, rt.clock())
            if job is None:
                raise model_not_found(model)
            training_copy = rt.store.training_copy_path(job.id)
    replies = await run_in_threadpool(_replies, training_copy, asked)
    prompt_tokens, completion_tokens = await run_in_threadpool(_tokens, asked, replies)
    return JSONResponse(
        {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "prompt": [],
            "choices": [
                {"index": index, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}
                for index, reply in enumerate(replies)
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )


ROUTES = [Route(f"{PREFIX}/chat/completions", create_chat_completion, methods=["POST"])]
