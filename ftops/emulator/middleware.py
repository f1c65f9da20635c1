"""The outermost ASGI layer: injects faults and records every API request (OpenAI's ``/v1``,
Together's ``/together/...``).

It sits outside Starlette so that it holds the server's own ``send``: dropping
a connection must close the socket with no response at all, which no
exception inside the app can do (uvicorn would answer 500 instead).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import MutableMapping
from typing import Any

from ftops.emulator.apierrors import rate_limited, server_error
from ftops.emulator.faults import FaultInjector
from ftops.emulator.holds import MutationHold
from ftops.emulator.ids import new_id
from ftops.emulator.requestlog import RequestLog, RequestRecord

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
# The paths of the emulated APIs; the rest (/_emulator admin) is neither faulted nor logged.
API_PREFIXES = ("/v1", "/together/", "/subscriptions/")  # the last: Azure's management plane


async def _drop_connection(send: Any) -> None:
    # uvicorn's send is a bound method of its per-request cycle, which holds the transport.
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise ConnectionAbortedError("fault injection: cannot reach the transport to drop it")
    transport.close()
    # Let the server notice the loss before we return, so it does not try to answer.
    for _ in range(3):
        await asyncio.sleep(0)


class FaultAndLogMiddleware:
    def __init__(self, app: Any, faults: FaultInjector, log: RequestLog,
                 hold: MutationHold | None = None) -> None:
        self.app = app
        self.faults = faults
        self.log = log
        self.hold = hold or MutationHold()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIXES):
            await self.app(scope, receive, send)
            return
        started = time.time()
        method, path = scope["method"], scope["path"]
        decision = self.faults.decide(method, path)
        fault = decision.fault or ("latency" if decision.latency_s else None)
        status = [0]
        recorded = [False]
        request_id = new_id("req_", 32)
        held: list[Message] = []  # the answer to a held request (see ftops.emulator.holds)
        holding = self.hold.claim(method, path)

        def record() -> None:
            # Before the last byte leaves: a client that got its answer finds its request logged.
            if not recorded[0]:
                recorded[0] = True
                query = scope.get("query_string", b"").decode("latin-1")
                answered = request_id if status[0] else ""
                duration = time.time() - started
                self.log.add(
                    RequestRecord(method, path, query, status[0], fault, started, duration, answered)
                )

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                # As the service does; the SDK exposes it as `_request_id`, handy in bug reports.
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                record()
            if holding:
                held.append(message)
            else:
                await send(message)

        async def swallowing_send(message: Message) -> None:
            pass  # drop-after: the work is done, the answer is lost

        if decision.latency_s:
            await asyncio.sleep(decision.latency_s)
        try:
            if decision.fault == "drop":
                record()
                await _drop_connection(send)
            elif decision.fault == "429":
                await rate_limited(decision.retry_after_s).response()(scope, receive, recording_send)
            elif decision.fault == "500":
                await server_error().response()(scope, receive, recording_send)
            elif decision.fault == "drop-after":
                await self.app(scope, receive, swallowing_send)
                record()
                await _drop_connection(send)
            else:
                await self.app(scope, receive, recording_send)
                if holding:
                    await self.hold.wait_released()
                    for message in held:
                        await send(message)
        finally:
            record()
