"""Sealed values: key derivation, data-key wrapping, and the marked ciphertext stored in a column.

Owns: the format of a sealed value — ``MARK`` + data key id + ``:`` + nonce (12 bytes) +
AES-256-GCM ciphertext and tag; base64 after the id in a text column, raw bytes in a binary one —
and the AES-GCM associated data binding each value to its column, so one column's ciphertext
cannot be passed off as another's. ``MARK`` starts with the control character U+0001, which no
SQS message body, SNS payload or attribute blob (JSON) may begin with, so a value written before
encryption existed is never mistaken for a sealed one: old rows read as they are.
Must not know: where values are stored, which queue or topic they belong to.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MARK = "\x01dk1:"
MARK_BYTES = MARK.encode()
KEY_BYTES = 32
_NONCE = 12
_FINGERPRINT_INPUT = b"densho master key fingerprint v1"


class SealError(Exception):
    """A sealed value or a wrapped key failed authentication (tampered with, or sealed under
    another master key), or is malformed."""


@dataclass(frozen=True, slots=True)
class DataKey:
    """An unwrapped data key: its id (stored in every value it seals) and its key id."""

    id: str
    key_id: str
    aead: AESGCM


def fingerprint(master: bytes) -> str:
    """A value that identifies the master key without revealing it (an HMAC of a constant),
    kept in the database so that starting with another key fails clearly."""
    return hmac.new(master, _FINGERPRINT_INPUT, hashlib.sha256).hexdigest()


def derive_kek(master: bytes, key_id: str) -> AESGCM:
    """The key-encryption key of one ``KmsMasterKeyId``: HKDF-SHA256 of the master key."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=_info(key_id))
    return AESGCM(hkdf.derive(master))


def _info(key_id: str) -> bytes:
    return b"densho kek\x00" + key_id.encode()


def new_data_key(kek: AESGCM, key_id: str) -> tuple[DataKey, bytes]:
    """A fresh random data key for ``key_id`` and its wrapped form (what the database keeps)."""
    dk_id = os.urandom(8).hex()
    raw = os.urandom(KEY_BYTES)
    nonce = os.urandom(_NONCE)
    wrapped = nonce + kek.encrypt(nonce, raw, _wrap_aad(dk_id, key_id))
    return DataKey(dk_id, key_id, AESGCM(raw)), wrapped


def unwrap(kek: AESGCM, dk_id: str, key_id: str, wrapped: bytes) -> DataKey:
    try:
        raw = kek.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], _wrap_aad(dk_id, key_id))
    except InvalidTag:
        raise SealError(f"data key {dk_id} does not open with this master key") from None
    return DataKey(dk_id, key_id, AESGCM(raw))


def _wrap_aad(dk_id: str, key_id: str) -> bytes:
    return f"densho data key\x00{dk_id}\x00{key_id}".encode()


def key_of(value: object) -> str | None:
    """The data key id a sealed value names; None for a plain value (or None)."""
    if isinstance(value, str):
        if value.startswith(MARK):
            return value[len(MARK) : value.index(":", len(MARK))]
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        head = bytes(value[: len(MARK_BYTES) + 32])
        if head.startswith(MARK_BYTES):
            return head[len(MARK_BYTES) : head.index(b":", len(MARK_BYTES))].decode()
    return None


def seal_text(dk: DataKey, text: str, column: bytes) -> str:
    nonce = os.urandom(_NONCE)
    sealed = nonce + dk.aead.encrypt(nonce, text.encode(), column)
    return f"{MARK}{dk.id}:{binascii.b2a_base64(sealed, newline=False).decode()}"


def seal_bytes(dk: DataKey, data: bytes, column: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    return b"%s%s:%s%s" % (MARK_BYTES, dk.id.encode(), nonce, dk.aead.encrypt(nonce, data, column))


def open_text(dk: DataKey, value: str, column: bytes) -> str:
    start = len(MARK) + len(dk.id) + 1
    try:
        # Lenient decoding is safe: whatever bytes come out must still pass AES-GCM.
        return _open(dk, binascii.a2b_base64(value[start:]), column).decode()
    except ValueError:  # not base64, or not UTF-8 after opening
        raise SealError("a sealed value is malformed") from None


def open_bytes(dk: DataKey, value: bytes, column: bytes) -> bytes:
    return _open(dk, bytes(value[len(MARK_BYTES) + len(dk.id) + 1 :]), column)


def _open(dk: DataKey, sealed: bytes, column: bytes) -> bytes:
    try:
        return dk.aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], column)
    except InvalidTag:
        raise SealError(f"a value sealed with data key {dk.id} fails authentication") from None
