"""Where a request came from as its client sees it: densho's URL and the client's address.

Owns: ``--public-url`` (checked by ``public_url``) and ``--trusted-proxies`` (``trusted_proxies``),
and ``Edge.view``: the base URL densho's own URLs must carry (queue URLs, SubscribeURL,
UnsubscribeURL, SigningCertURL), whether the client used TLS, and the client's address
(aws:SourceIp, the access log). ``X-Forwarded-Proto``, ``-Host`` and ``-For`` are honoured only
when the TCP peer is a trusted proxy: anyone else could claim any address or host with them.
Must not know: AWS, ASGI, or what the view is used for.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# A forwarded host: a name or an address, with an optional port — nothing that would change
# the shape of a URL built around it (a path, a query, credentials).
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?")


def public_url(text: str) -> str:
    """``--public-url``: ``http(s)://HOST[:PORT]``, returned without a trailing slash.

    No path prefix: densho serves its API at the root, and SigV4 signs the path the client
    sent, so a proxy that strips a prefix would break every signature."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port  # raises ValueError for a port out of range
    except ValueError as exc:
        raise ValueError(f"not a URL: {text!r} ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be http://HOST[:PORT] or https://HOST[:PORT], not {text!r}")
    if parts.username is not None or parts.query or parts.fragment or parts.path not in ("", "/"):
        raise ValueError(
            f"must be a scheme, a host and an optional port, with no path, query or user "
            f"(densho serves its API at the root), not {text!r}"
        )
    host = parts.netloc.rsplit(":", 1)[0] if port is not None else parts.netloc
    return f"{parts.scheme}://{host.lower()}{'' if port is None else f':{port}'}"


def trusted_proxies(text: str) -> tuple[str, ...]:
    """``--trusted-proxies``: comma-separated addresses or CIDR blocks, normalized."""
    out = []
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        try:
            out.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            raise ValueError(f"not an IP address or CIDR block: {entry!r}") from None
    return tuple(out)


# Not frozen, though never changed: made per request (why: densho/core/store.py, Claim).
@dataclass(slots=True)
class View:
    client: str  # the client's address: the TCP peer, or what a trusted proxy forwarded
    secure: bool  # the client used TLS (to densho, or to a trusted proxy in front of it)
    base_url: str  # scheme://host[:port] the client reached densho at


class Edge:
    """The server's rules for reading a request's origin (one per server)."""

    def __init__(self, public: str | None, trusted: tuple[str, ...]) -> None:
        self._public = public
        self._trusted = tuple(ipaddress.ip_network(t) for t in trusted)
        # The same few proxies and clients come again and again; parsing is the cost.
        self._hop = functools.lru_cache(maxsize=4096)(self._read_hop)

    def view(self, peer: str, headers: Mapping[str, str], tls: bool) -> View:
        """What the request says of its client; ``headers`` lower-cased, repeats joined
        with ","."""
        client, secure, host = peer, tls, headers.get("host", "")
        if self._trusted and (self._hop(peer) or ("", False))[1]:
            proto = _last(headers.get("x-forwarded-proto", "")).lower()
            if proto in ("http", "https"):
                secure = proto == "https"
            forwarded_host = _last(headers.get("x-forwarded-host", ""))
            if _HOST.fullmatch(forwarded_host):
                host = forwarded_host
            client = self._client(peer, headers.get("x-forwarded-for", ""))
        base = self._public or f"{'https' if secure else 'http'}://{host}"
        return View(client, secure, base)

    def _read_hop(self, text: str) -> tuple[str, bool] | None:
        """An address as a socket or a header gives it: normalized, and whether it is a
        trusted proxy's; None when it is no address."""
        address = _address(text)
        if address is None:
            return None
        return str(address), any(address in net for net in self._trusted)

    def _client(self, peer: str, forwarded_for: str) -> str:
        """The nearest address that is not a trusted proxy, read from the right of the chain
        (each proxy appends the address it was reached from; entries further left were
        written by whoever sent them); the leftmost when every hop is trusted."""
        client = peer
        for entry in reversed([e for e in forwarded_for.split(",") if e.strip()]):
            hop = self._hop(entry.strip())
            if hop is None:  # "unknown", an obfuscated name: nothing to trust beyond
                break
            client, trusted = hop
            if not trusted:
                break
        return client


def _last(value: str) -> str:
    """The value the nearest proxy set (proxies that append put theirs last)."""
    return value.rsplit(",", 1)[-1].strip()


def _address(text: str) -> Address | None:
    """An address, with or without a port (``1.2.3.4:80``, ``[::1]:80``); None if none."""
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:10.0.0.1 is 10.0.0.1
    return mapped if mapped is not None else address
