"""Receipt handles: opaque strings naming one receive of one message.

Owns: encoding (queue, row, nonce, message id) into a handle and back. A handle stays valid
across restarts (it names durable state). The nonce tells which receive the handle is from (a
new one per receive); the message id, which message (a row id may be reused after its message
is deleted), so that a handle from an earlier receive still names its message. Handles made
before they carried the message id (``dn1``) still decode, without it.
Must not know: the wire.
"""

from __future__ import annotations

import binascii
import struct

from densho.core import errors
from densho.core.store import Handle

_LAYOUT = struct.Struct(">QQQ")
_MAGIC = b"dn2"  # then the layout, the message id's length (one byte) and the id (UTF-8)
_MAGIC_V1 = b"dn1"  # the layout only


def encode(queue_id: int, seq: int, nonce: int, message_id: str) -> str:
    raw_id = message_id.encode()
    if not 0 < len(raw_id) < 256:  # densho's message ids are 36 bytes
        raise ValueError(f"message id of {len(raw_id)} bytes")
    raw = _MAGIC + _LAYOUT.pack(queue_id, seq, nonce) + bytes((len(raw_id),)) + raw_id
    # base64.b64encode and b64decode(validate=True) without their Python wrappers: the same
    # codec (a handle is made for every message received and read for every delete).
    return binascii.b2a_base64(raw, newline=False).decode()


def decode(handle: str) -> Handle:
    try:
        raw = binascii.a2b_base64(handle, strict_mode=True)
    except (binascii.Error, ValueError):
        raise errors.ReceiptHandleInvalid(handle) from None
    magic, fixed, rest = raw[:3], raw[3 : 3 + _LAYOUT.size], raw[3 + _LAYOUT.size :]
    if len(fixed) != _LAYOUT.size:
        raise errors.ReceiptHandleInvalid(handle)
    queue_id, seq, nonce = _LAYOUT.unpack(fixed)
    if magic == _MAGIC_V1 and not rest:
        return Handle(queue_id, seq, nonce)
    # The length byte makes a truncated or extended handle invalid, not another message's.
    if magic != _MAGIC or not rest or rest[0] != len(rest) - 1 or rest[0] == 0:
        raise errors.ReceiptHandleInvalid(handle)
    try:
        message_id = rest[1:].decode()
    except UnicodeDecodeError:
        raise errors.ReceiptHandleInvalid(handle) from None
    return Handle(queue_id, seq, nonce, message_id)
