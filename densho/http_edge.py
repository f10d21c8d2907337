"""The HTTP edge: what a connection may cost before densho has a request to answer.

Owns: uvicorn's httptools protocol with three limits added — a request head (request line and
headers) of at most ``MAX_HEAD_BYTES`` (else 431 and the connection closed, before the parser
buffers it: the parser's own buffering of one long header is quadratic), a head that must arrive
within ``timeout_s`` of its first byte (or of the connection's opening), and a body whose bytes
may not pause for longer than that (a body shorter than its Content-Length otherwise holds its
request open for ever). Idle keep-alive connections are
closed by uvicorn's own keep-alive timeout.

It also sets how many connections densho takes: the soft open-file limit is raised to the hard
one at start, and past that many connections less a reserve (database, WAL, syncer, logs),
requests are shed with 503 — answered by the application in AWS's shape, which every SDK
retries — instead of connections failing for want of a file descriptor.
Must not know: AWS protocols, beyond answering 431 in the Query error shape every SDK parses.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from typing import Any

from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("densho.http")

MAX_HEAD_BYTES = 64 * 1024
# File descriptors kept for other than clients: the database pool, the WAL, the syncer's pipes,
# log files, outbound SNS deliveries.
RESERVED_FDS = 128
RAISE_TO_AT_MOST = 1_048_576  # when the hard limit is unlimited
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


def raise_open_file_limit() -> int:
    """Raise the soft open-file limit to the hard one; the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = RAISE_TO_AT_MOST if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:  # a container may forbid it: keep what we have
            log.warning("could not raise the open-file limit from %d to %d: %s", soft, target, exc)
    return RAISE_TO_AT_MOST if soft == resource.RLIM_INFINITY else soft


def connection_limit(open_files: int) -> int:
    """How many connections to serve at once with ``open_files`` descriptors."""
    return max(open_files - RESERVED_FDS, 16)


def edge_protocol(timeout_s: float, shed: Any) -> type[EdgeProtocol]:
    """The protocol class to give uvicorn: this client timeout, and ``shed`` (an ASGI app)
    answering requests beyond uvicorn's ``limit_concurrency``."""
    logging.getLogger("uvicorn.error").addFilter(_quiet_shedding)
    return type("EdgeProtocol", (EdgeProtocol,), {"timeout_s": timeout_s, "shed_app": shed})


def _quiet_shedding(record: logging.LogRecord) -> bool:
    # uvicorn warns once per shed request; the shedding app logs at most once in a while.
    return record.getMessage() != "Exceeded concurrency limit."


class EdgeProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` with a cap on the request head and timeouts on slow clients."""

    timeout_s = 20.0
    shed_app: Any = None

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
            allowance = MAX_HEAD_BYTES - self._head_bytes
            if len(data) > allowance and _END_OF_HEAD not in self._tail + data[:allowance]:
                self._refuse_head()
                return
            self._head_bytes += len(data)
            self._tail = data[-3:]
        super().data_received(data)
        # The deadline is set once these bytes are parsed: a request that came whole in one
        # read (the usual case) is complete by now and needs none. Arming before the parse and
        # again at the end of the head cost two timers per request (about 5 us of CPU).
        if not self._in_head:  # part of a body: its bytes may not pause for longer
            self._arm(self.timeout_s, "request body stalled")
        elif self._head_bytes and self._timer is None:  # part of a head: from its first byte
            self._arm(self.timeout_s, "request head incomplete")

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()  # the answer may take a long poll's time: no client deadline now
        self._in_head, self._head_bytes, self._tail = True, 0, b""
        super().on_message_complete()

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        if app is service_unavailable and self.shed_app is not None:
            app = self.shed_app  # AWS's 503, which SDKs retry, rather than uvicorn's text
        super()._start_asgi_task(cycle, app)

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
