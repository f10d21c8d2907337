"""Where SNS may deliver outside densho: the ``[sns] http_endpoints`` allow and deny lists.

Owns: parsing the entries (a CIDR or an address: ``10.0.0.0/8``, ``fd00::/8``, ``127.0.0.1``; or a
host pattern: ``hooks.example.com``, ``*.internal``, ``*``), the addresses refused by default,
and the decision for an address, a host name, an HTTP/S URL and an email address.
Must not know: DNS, sockets, HTTP clients, configuration files — callers resolve names and pass
the addresses (``densho.delivery.http`` checks every address a name resolves to, then connects to
the one it checked).

The decision, for an address (CIDR entries) or a host name (pattern entries):
1. an entry of ``deny`` matches: refused;
2. an entry of ``allow`` matches: allowed (this re-opens an address refused by default);
3. the address is refused by default (``DEFAULT_DENY``: link-local and cloud metadata): refused;
4. otherwise allowed, as AWS delivers to any public URL. Loopback stays allowed so local test
   setups can deliver to 127.0.0.1; production configurations deny ``127.0.0.0/8`` and ``::1``.
A URL is allowed when its host is: a literal address by the address rules, a name by the pattern
rules (and, at delivery, every address it resolves to by the address rules).
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
import socket
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Link-local (IPv4 and IPv6) holds the cloud metadata services: 169.254.169.254 (AWS, GCP, Azure),
# fd00:ec2::254 (AWS IMDS over IPv6).
DEFAULT_DENY: tuple[Network, ...] = tuple(
    ipaddress.ip_network(text) for text in ("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128")
)
_PATTERN = re.compile(r"\*|(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")


@dataclass(frozen=True, slots=True)
class Entry:
    """One list entry: a network, or a lower-case host pattern (``*`` matches any labels)."""

    network: Network | None = None
    pattern: str = ""

    def matches_address(self, address: Address) -> bool:
        return self.network is not None and address in self.network

    def matches_name(self, name: str) -> bool:
        return bool(self.pattern) and fnmatch.fnmatchcase(name, self.pattern)


def parse_entry(text: str) -> Entry:
    """An entry of a list; ValueError (the reason) for one that is neither a CIDR, an address nor
    a host pattern."""
    value = text.strip().lower()
    try:
        return Entry(network=ipaddress.ip_network(value))  # strict: 10.0.0.1/8 is a typo
    except ValueError as exc:
        if "/" in value or ":" in value or _looks_numeric(value):
            raise ValueError(f"{text!r} is not a CIDR: {exc}") from None
    if not _PATTERN.fullmatch(value):
        raise ValueError(
            f"{text!r} is neither a CIDR (10.0.0.0/8), an address, nor a host pattern "
            "(hooks.example.com, *.internal)"
        )
    return Entry(pattern=value.rstrip("."))


@dataclass(frozen=True, slots=True)
class EndpointRules:
    """The lists; ``EndpointRules()`` (``DEFAULT``) refuses only ``DEFAULT_DENY``."""

    allow: tuple[Entry, ...] = ()
    deny: tuple[Entry, ...] = ()

    @classmethod
    def parse(cls, allow: Iterable[str] = (), deny: Iterable[str] = ()) -> EndpointRules:
        return cls(tuple(map(parse_entry, allow)), tuple(map(parse_entry, deny)))

    def address_allowed(self, address: Address | str) -> bool:
        addr = _address(address)
        mapped = addr.ipv4_mapped if isinstance(addr, ipaddress.IPv6Address) else None
        if mapped is not None:  # ::ffff:169.254.169.254 is 169.254.169.254
            addr = mapped
        if any(entry.matches_address(addr) for entry in self.deny):
            return False
        if any(entry.matches_address(addr) for entry in self.allow):
            return True
        return not any(addr in network for network in DEFAULT_DENY)

    def name_allowed(self, name: str) -> bool:
        """A host name by the pattern entries (no name is refused by default)."""
        host = name.lower().rstrip(".")
        return not any(entry.matches_name(host) for entry in self.deny)

    def host_allowed(self, host: str) -> bool:
        """A URL's host as written, not resolved: an address literal (also the legacy IPv4
        forms a resolver accepts, 2852039166 or 0251.0376.0251.0376) or a name."""
        literal = _literal(host)
        return self.address_allowed(literal) if literal is not None else self.name_allowed(host)

    def url_allowed(self, url: str) -> bool:
        try:
            host = urllib.parse.urlsplit(url).hostname
        except ValueError:
            return True  # not a URL: refused elsewhere for what it is, not for where it points
        return host is None or self.host_allowed(host)

    def email_allowed(self, address: str) -> bool:
        """An email address by its domain (``user@[192.0.2.1]``: by that address)."""
        domain = address.rpartition("@")[2].strip()
        if domain.startswith("[") and domain.endswith("]"):
            domain = domain[1:-1].removeprefix("IPv6:").removeprefix("ipv6:")
        return not domain or self.host_allowed(domain)


DEFAULT = EndpointRules()


def _address(value: Address | str) -> Address:
    if isinstance(value, str):
        return ipaddress.ip_address(value.split("%", 1)[0])  # fe80::1%eth0: the zone aside
    return value


def _looks_numeric(value: str) -> bool:
    return bool(value) and all(c in "0123456789abcdefx." for c in value) and value[0].isdigit()


def _literal(host: str) -> Address | None:
    text = host.strip("[]")
    try:
        return _address(text)
    except ValueError:
        pass
    if _looks_numeric(text.lower()):
        try:  # inet_aton reads what getaddrinfo reads: 127.1, 0x7f.1, 2130706433
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None
