"""A TLS-terminating reverse proxy for tests, as production puts one in front of densho.

Owns: ``TlsProxy`` — an aiohttp server on 127.0.0.1 (a free port) speaking HTTPS with a given
certificate, forwarding every request over plain HTTP to a target and adding what nginx or a
cloud load balancer adds: ``X-Forwarded-Proto: https``, ``X-Forwarded-Host`` (the Host the client
sent) and ``X-Forwarded-For`` (appending the client's address). The Host header itself passes
through unchanged, as SigV4 needs. It runs in a daemon thread with its own event loop; ``close``
stops it, and every wait is bounded.
Knows nothing of densho beyond its URL.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from pathlib import Path
from types import TracebackType

import aiohttp
from aiohttp import web

START_TIMEOUT_S = 10.0
# Per connection, not per message: the proxy answers whatever the target sends.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)


class TlsProxy:
    def __init__(
        self, target: str, cert: Path, key: Path, *, client_address: str | None = None
    ) -> None:
        self.target = target.rstrip("/")
        # What the proxy reports as the client's address (X-Forwarded-For): on one test
        # machine every peer is 127.0.0.1, so a test names the client it stands for.
        self.client_address = client_address
        self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._tls.load_cert_chain(cert, key)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        # Client connections seen: TLS ones wait for the client's close_notify when closed,
        # which a stopped loop never reads, so closing aborts them.
        self._transports: set[asyncio.BaseTransport] = set()
        self.port = 0

    def start(self) -> TlsProxy:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        self.port = future.result(START_TIMEOUT_S)
        return self

    def url(self, host: str = "localhost") -> str:
        """The proxy's base URL, by the name the certificate holds (localhost or 127.0.0.1)."""
        return f"https://{host}:{self.port}"

    async def _start(self) -> int:
        self._session = aiohttp.ClientSession(
            auto_decompress=False, timeout=aiohttp.ClientTimeout(total=60)
        )
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock, ssl_context=self._tls).start()
        port: int = sock.getsockname()[1]
        return port

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        if request.transport is not None:
            self._transports.add(request.transport)
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        headers = [(k, v) for k, v in headers if not k.lower().startswith("x-forwarded-")]
        peer = self.client_address or request.remote or ""
        chain = request.headers.get("X-Forwarded-For")
        headers += [
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", request.headers.get("Host", "")),
            ("X-Forwarded-For", f"{chain}, {peer}" if chain else peer),
        ]
        async with self._session.request(
            request.method,
            self.target + request.raw_path,  # as sent: SigV4 signed it percent-encoded
            headers=headers,
            data=await request.read(),
            allow_redirects=False,
        ) as answer:
            body = await answer.read()
            kept = [(k, v) for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP]
            response = web.Response(status=answer.status, body=body)
            for name, value in kept:
                response.headers.add(name, value)
            return response

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        for transport in self._transports:
            transport.abort()  # type: ignore[attr-defined]
        if self._session is not None:
            await self._session.close()
        # Closed transports finish on the loop's next turns (connection_lost): let them run
        # before the loop stops, or their sockets are left for the garbage collector.
        for _ in range(5):
            await asyncio.sleep(0)

    def close(self) -> None:
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(START_TIMEOUT_S)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(START_TIMEOUT_S)
        self._loop.close()

    def __enter__(self) -> TlsProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
