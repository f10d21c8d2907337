"""HTTP/S transport of SNS deliveries: one POST per attempt.

Owns: the HTTP client (aiohttp, one pooled session), the per-attempt timeout, TLS with the
system trust store, refusing endpoints ``[sns] http_endpoints`` refuses, and turning a response
or a failure into an ``Attempt``.
Must not know: retry policies, storage, what the body means.

Refusal after DNS: the session's resolver checks every address a name resolves to and fails the
lookup if any is refused, and aiohttp connects to exactly the addresses it returned (the Host
header and TLS SNI stay the name). So a name cannot pass the check with one address and be
connected to at another (DNS rebinding). A refused endpoint is a permanent failure: no retry.

As AWS: no redirects are followed (a 3xx is a client-side error); credentials in the URL
(``https://user:pass@host/``) are sent as HTTP Basic authentication.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import urllib.parse

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from densho.core.sns_model import OutboxEntry
from densho.sns.endpoint_rules import DEFAULT, EndpointRules
from densho.sns.outbox.attempts import ATTEMPT_TIMEOUT_S, Attempt, Result, classify_http


class EndpointRefused(OSError):
    """The endpoint's host, or an address it resolves to, is refused by the rules."""


class VettingResolver(AbstractResolver):
    """aiohttp's resolver, refusing a name any of whose addresses the rules refuse."""

    def __init__(self, rules: EndpointRules, resolver: AbstractResolver | None = None) -> None:
        self._rules = rules
        self._resolver = resolver or aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._resolver.resolve(host, port, family)
        for result in found:
            if not self._rules.address_allowed(result["host"]):
                raise EndpointRefused(f"{host} resolves to {result['host']}")
        return found

    async def close(self) -> None:
        await self._resolver.close()


class HttpSender:
    def __init__(
        self, timeout_s: float = ATTEMPT_TIMEOUT_S, rules: EndpointRules = DEFAULT
    ) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._rules = rules
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use: a session belongs to the running event loop.
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                ssl=ssl.create_default_context(),
                limit=100,
                resolver=VettingResolver(self._rules),
            )
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, auto_decompress=False
            )
        return self._session

    async def send(self, entry: OutboxEntry) -> Attempt:
        # Literal addresses never reach the resolver: checked here (the rules may have changed
        # since Subscribe); names are checked by pattern here and by address when resolved.
        host = _host(entry.endpoint)
        if host is not None and not self._rules.host_allowed(host):
            return _refused(host)
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
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, EndpointRefused):
                return _refused(exc.os_error)
            return Attempt(Result.RETRYABLE, f"{type(exc).__name__}: {exc}")
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


def _host(url: str) -> str | None:
    try:
        return urllib.parse.urlsplit(url).hostname
    except ValueError:
        return None  # aiohttp refuses it as an invalid URL


def _refused(why: object) -> Attempt:
    # Logged once, by the outbox, when it drops (or dead-letters) the message for this reason.
    return Attempt(Result.PERMANENT, f"endpoint refused by [sns] http_endpoints: {why}")
