"""Operands that are small languages of their own: wildcard patterns and CIDR blocks.

Owns: their syntax, the refusal texts AWS gives for them (from aws/event-ruler's
``WildcardParser.java`` and ``CIDR.java``, the engine behind SNS filter policies), and turning
them into something fast to match (a compiled regex, an integer range).
Must not know: the rest of the policy language, message formats.

Docs: https://docs.aws.amazon.com/sns/latest/dg/string-value-matching.html (IP address matching,
wildcard).
"""

from __future__ import annotations

import ipaddress
import re

from densho.sns.filter.errors import FilterPolicyError


def wildcard_regex(pattern: str) -> re.Pattern[str]:
    """``*`` matches any run of characters; ``\\*`` and ``\\\\`` are a literal star and backslash.

    Positions in refusals are UTF-8 byte offsets, as AWS's engine counts them.
    """
    pieces: list[str] = []  # literal runs between stars
    literal: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            if pattern.startswith("*", i + 1):
                raise FilterPolicyError(
                    f"Consecutive wildcard characters at pos {_byte_pos(pattern, i)}"
                )
            pieces.append("".join(literal))
            literal = []
        elif char == "\\":
            if pattern[i + 1 : i + 2] not in ("*", "\\"):
                raise FilterPolicyError(f"Invalid escape character at pos {_byte_pos(pattern, i)}")
            literal.append(pattern[i + 1])
            i += 1
        else:
            literal.append(char)
        i += 1
    pieces.append("".join(literal))
    return re.compile(".*".join(re.escape(piece) for piece in pieces), re.DOTALL)


def _byte_pos(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


_IPV4 = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_IPV6 = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*")
_MASK = re.compile(r"[+-]?[0-9]+")


def cidr_range(block: str) -> tuple[int, int, int]:
    """``(ip version, lowest address, highest address)`` of a CIDR block, as integers."""
    parts = block.split("/")
    while len(parts) > 1 and not parts[-1]:
        parts.pop()  # Java's String.split drops trailing empty parts
    if len(parts) != 2:
        raise FilterPolicyError("Malformed CIDR, one '/' required")
    address, mask = parts
    if not _MASK.fullmatch(mask):
        raise FilterPolicyError("Malformed CIDR, mask bits must be an integer")
    bits = int(mask)
    if bits < 0:
        raise FilterPolicyError("Malformed CIDR, mask bits must not be negative")
    if not (_IPV4.fullmatch(address) or _IPV6.fullmatch(address)):
        raise FilterPolicyError(f"Nonstandard IP address: {address}")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise FilterPolicyError(f"Invalid IP address: {address}") from None
    width = ip.max_prefixlen
    if bits >= width:
        raise FilterPolicyError(f"IPv{ip.version} mask bits must be < {width}")
    # AWS's engine keeps the address as written as the bottom of the range (it does not clear
    # the host bits) and sets every host bit for the top.
    low = int(ip)
    return ip.version, low, low | ((1 << (width - bits)) - 1)


def ip_value(text: str) -> tuple[int, int] | None:
    """``(ip version, address as an integer)`` of a message value, or None if it is no address."""
    if not (_IPV4.fullmatch(text) or _IPV6.fullmatch(text)):
        return None
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    return ip.version, int(ip)
