"""Receipt handles: opaque strings naming one receive of one message.

Owns: encoding (queue, row, nonce) into a handle and back. A handle stays valid across restarts
(it names durable state) and goes stale when the message is received again (new nonce).
Must not know: the wire.
"""

from __future__ import annotations

import base64
import binascii
import struct

from densho.core import errors
from densho.core.store import Handle

_LAYOUT = struct.Struct(">QQQ")
_MAGIC = b"dn1"


def encode(queue_id: int, seq: int, nonce: int) -> str:
    return base64.b64encode(_MAGIC + _LAYOUT.pack(queue_id, seq, nonce)).decode()


def decode(handle: str) -> Handle:
    try:
        raw = base64.b64decode(handle, validate=True)
    except (binascii.Error, ValueError):
        raise errors.ReceiptHandleInvalid(handle) from None
    if len(raw) != len(_MAGIC) + _LAYOUT.size or not raw.startswith(_MAGIC):
        raise errors.ReceiptHandleInvalid(handle)
    queue_id, seq, nonce = _LAYOUT.unpack(raw[len(_MAGIC) :])
    return Handle(queue_id, seq, nonce)
