"""moto's standalone S3 server on loopback, for the S3 backend tests.

moto checks ``If-Match`` and ``If-None-Match`` on PutObject and DeleteObject
(moto/s3/responses.py), but as two steps, a look-up and then the store, with no
lock between them, while its werkzeug server handles requests on parallel
threads; its ``DomainDispatcherApplication.lock`` guards only the choice of
backend app. So nothing makes a conditional write atomic on moto, where real S3
lets exactly one racing writer through. (In an experiment, 30 rounds of 8 racing
conditional creates, the GIL happened to let exactly one win every time; that
is luck, not a guarantee.) So that the suite tests our backend and not that gap,
this server handles one request at a time (``_OneAtATime``), which gives the
atomicity S3 promises; everything else is moto's own ``ThreadedMotoServer``, over
real HTTP.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server


class _OneAtATime:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.mutex = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self.mutex:
            # Drain the response inside the lock: the write happens while it is produced.
            return list(self.app(environ, start_response))


class SerializedMotoServer(ThreadedMotoServer):
    def _server_entry(self) -> None:
        app = _OneAtATime(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()
