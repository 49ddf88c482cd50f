"""moto's server, answering one request at a time: the emulator's setting for ENV=local and
the tests.

Moto keeps its state in plain dicts and lists without locks, and its server (werkzeug,
threaded) runs each request in a thread of its own. Terraform sends up to ten requests at once,
and ENV=local's reconciler polls the same emulator meanwhile; under a busy CPU a create and a
concurrent request interleave, the create fails after moto stored the resource, and the AWS
SDK's retry of it then fails with PriorityInUse, RouteAlreadyExists or
InvalidPermission.Duplicate: a resource terraform never learns of, so every later apply fails
too. A lock around the application makes each request atomic, as on AWS. Connections are still
accepted in threads, so a slow client never blocks the others' requests from queueing.

    MOTO_PORT=4566 python -m flotilla.local.moto_serial -H 127.0.0.1 -p 4566
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.server import signal_handler
from werkzeug.serving import run_simple

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def serialised(app: WsgiApp) -> WsgiApp:
    """`app` with one request at a time, its whole body produced under the lock."""
    lock = threading.Lock()

    def call(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with lock:
            result = app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description="moto server, one request at a time")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args()
    signal.signal(signal.SIGINT, signal_handler)
    signal.signal(signal.SIGTERM, signal_handler)
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True  # type: ignore[attr-defined]
    run_simple(
        args.host,
        args.port,
        serialised(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
