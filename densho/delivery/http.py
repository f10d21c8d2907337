"""HTTP/S transport of SNS deliveries: one POST per attempt.

Owns: the HTTP client (aiohttp, one pooled session), the per-attempt timeout, TLS with the
system trust store, and turning a response or a failure into an ``Attempt``.
Must not know: retry policies, storage, what the body means.

As AWS: no redirects are followed (a 3xx is a client-side error); credentials in the URL
(``https://user:pass@host/``) are sent as HTTP Basic authentication.
"""

from __future__ import annotations

import asyncio
import ssl

import aiohttp

from densho.core.sns_model import OutboxEntry
from densho.sns.outbox.attempts import ATTEMPT_TIMEOUT_S, Attempt, Result, classify_http


class HttpSender:
    def __init__(self, timeout_s: float = ATTEMPT_TIMEOUT_S) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use: a session belongs to the running event loop.
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(ssl=ssl.create_default_context(), limit=100)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, auto_decompress=False
            )
        return self._session

    async def send(self, entry: OutboxEntry) -> Attempt:
        try:
            async with self._client().post(
                entry.endpoint,
                data=entry.body.encode("utf-8"),
                headers=entry.headers,
                allow_redirects=False,
            ) as response:
                # Read (a bounded part of) the answer so the connection can be reused.
                await response.content.read(65536)
                return Attempt(classify_http(response.status), f"HTTP {response.status}")
        except TimeoutError:
            return Attempt(Result.RETRYABLE, "timeout")
        except (aiohttp.InvalidURL, ValueError) as exc:
            return Attempt(Result.PERMANENT, f"invalid endpoint: {exc}")
        except (aiohttp.ClientError, OSError, asyncio.IncompleteReadError) as exc:
            return Attempt(Result.RETRYABLE, f"{type(exc).__name__}: {exc}")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
