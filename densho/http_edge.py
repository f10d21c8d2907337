"""The HTTP edge: what a connection may cost before densho has a request to answer.

Owns: uvicorn's httptools protocol with three limits added — a request head (request line and
headers) of at most ``MAX_HEAD_BYTES`` (else 431 and the connection closed, before the parser
buffers it: the parser's own buffering of one long header is quadratic), a head that must arrive
within ``timeout_s`` of its first byte (or of the connection's opening), and a body whose bytes
may not pause for longer than that (a body shorter than its Content-Length otherwise holds its
request open for ever). Idle keep-alive connections are
closed by uvicorn's own keep-alive timeout.
Must not know: AWS protocols, beyond answering 431 in the Query error shape every SDK parses.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("densho.http")

MAX_HEAD_BYTES = 64 * 1024
_END_OF_HEAD = b"\r\n\r\n"
_TOO_LARGE_BODY = (
    b'<?xml version="1.0"?><ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">'
    b"<Error><Type>Sender</Type><Code>RequestHeaderFieldsTooLarge</Code>"
    b"<Message>The request line and headers must be at most 65536 bytes.</Message>"
    b"<Detail/></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId>"
    b"</ErrorResponse>"
)
_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/xml\r\n"
    b"content-length: " + str(len(_TOO_LARGE_BODY)).encode() + b"\r\n"
    b"connection: close\r\n\r\n" + _TOO_LARGE_BODY
)


def edge_protocol(timeout_s: float) -> type[EdgeProtocol]:
    """The protocol class to give uvicorn, with this client timeout."""
    return type("EdgeProtocol", (EdgeProtocol,), {"timeout_s": timeout_s})


class EdgeProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` with a cap on the request head and timeouts on slow clients."""

    timeout_s = 20.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # reading a request's line and headers (or waiting for its start)
        self._head_bytes = 0
        self._tail = b""  # the last bytes of the head so far: its end may straddle two reads
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.timeout_s, "no request head")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            if self._timer is None:  # the first byte of a head after a keep-alive pause
                self._arm(self.timeout_s, "request head incomplete")
            allowance = MAX_HEAD_BYTES - self._head_bytes
            if len(data) > allowance and _END_OF_HEAD not in self._tail + data[:allowance]:
                self._refuse_head()
                return
            self._head_bytes += len(data)
            self._tail = data[-3:]
        else:
            self._arm(self.timeout_s, "request body stalled")
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._arm(self.timeout_s, "request body stalled")
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()  # the answer may take a long poll's time: no client deadline now
        self._in_head, self._head_bytes, self._tail = True, 0, b""
        super().on_message_complete()

    def _refuse_head(self) -> None:
        log.info(
            "closed a connection from %s: request head over %d bytes", self.client, MAX_HEAD_BYTES
        )
        self._disarm()
        if not self.transport.is_closing():
            self.transport.write(_TOO_LARGE)
            self.transport.close()

    def _arm(self, seconds: float, reason: str) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._expire, reason)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self, reason: str) -> None:
        self._timer = None
        if not self.transport.is_closing():
            log.info("closed a connection from %s: %s", self.client, reason)
            self.transport.close()
