"""uvicorn's httptools protocol, handing a connection to h11 when llhttp rejects its method.

llhttp (under httptools) parses only the registered HTTP methods: an extension or lower-case
method ("BREW", "get") is a parse error there, and uvicorn would answer a bare 400 before the
app sees it. Such a connection is handed, with the bytes of the request received so far, to
uvicorn's h11 protocol, which passes any method through: the route answers its 405 (and the
request is logged and counted) as with h11. Every other request keeps the fast parser.

Only a request that starts a chunk can be handed over (clients do not pipeline; the ALB does
not); any other parse error gets uvicorn's 400 as before.
"""

from __future__ import annotations

import asyncio

import httptools
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class HttpProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.head = bytearray()  # the current request's bytes until its head is parsed
        self.in_head = True
        self.completed = False

    def on_headers_complete(self) -> None:
        self.in_head = False
        self.head.clear()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self.completed = True
        self.in_head = True
        super().on_message_complete()

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        fresh = self.in_head
        if fresh:
            self.head += data
        self.completed = False
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserInvalidMethodError:
            if fresh and not self.completed:
                self._hand_to_h11(bytes(self.head))
                return
            self._bad_request()
        except httptools.HttpParserError:
            self._bad_request()
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()

    def _bad_request(self) -> None:
        msg = "Invalid HTTP request received."
        self.logger.warning(msg)
        self.send_400_response(msg)

    def _hand_to_h11(self, received: bytes) -> None:
        self.connections.discard(self)
        protocol = H11Protocol(
            config=self.config,
            server_state=self.server_state,
            app_state=self.app_state,
            _loop=self.loop,
        )
        protocol.connection_made(self.transport)
        self.transport.set_protocol(protocol)
        protocol.data_received(received)
