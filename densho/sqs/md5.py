"""MD5 digests exactly as SQS computes them; SDKs verify these on every send and receive.

Owns: MD5OfMessageBody, MD5OfMessageAttributes and MD5OfMessageSystemAttributes.
Must not know: wire shapes; attributes arrive as domain ``Attr`` values.

The attribute digest follows AWS's documented encoding
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html#sqs-attributes-md5-message-digest-calculation):
attributes sorted by name; for each, the name, the data type (with any custom suffix) and the
value are written as a 4-byte big-endian length followed by the UTF-8 bytes, with a one-byte
transport type (1 for String/Number, 2 for Binary) before the value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from densho.core.sqs_model import Attr

_STRING = b"\x01"
_BINARY = b"\x02"


def md5_of_body(body: str | bytes) -> str:
    raw = body if isinstance(body, bytes) else body.encode("utf-8")
    return hashlib.md5(raw, usedforsecurity=False).hexdigest()


class SharedPrefix:
    """MD5OfMessageBody of bodies that begin alike (the SNS envelopes of one publish differ
    only from their UnsubscribeURL on): the shared beginning is hashed once, not per body."""

    __slots__ = ("_head",)

    def __init__(self, prefix: str) -> None:
        self._head = hashlib.md5(prefix.encode("utf-8"), usedforsecurity=False)

    def md5_of_body(self, rest: str) -> str:
        """``md5_of_body(prefix + rest)``."""
        digest = self._head.copy()
        digest.update(rest.encode("utf-8"))
        return digest.hexdigest()


def _put(out: list[bytes], data: bytes) -> None:
    out.append(len(data).to_bytes(4, "big"))
    out.append(data)


def md5_of_attributes(attributes: Mapping[str, Attr]) -> str | None:
    """The digest of a set of message (or system) attributes; None when there are none,
    because AWS omits the digest entirely in that case."""
    if not attributes:
        return None
    out: list[bytes] = []
    for name in sorted(attributes):
        attr = attributes[name]
        _put(out, name.encode("utf-8"))
        _put(out, attr.data_type.encode("utf-8"))
        if attr.is_binary:
            out.append(_BINARY)
            _put(out, attr.binary_value or b"")
        else:
            out.append(_STRING)
            _put(out, (attr.string_value or "").encode("utf-8"))
    return hashlib.md5(b"".join(out), usedforsecurity=False).hexdigest()
