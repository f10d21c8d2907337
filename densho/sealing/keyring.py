"""The keys one process holds in memory: key-encryption keys, unwrapped data keys, and which data
key each key id seals with now.

Owns: the reuse rule — a data key seals new values of its key id for ``reuse_ms`` after it was
made (``KmsDataKeyReusePeriodSeconds``), then a new one is made — and the cache of data keys
unwrapped for reading. Time is injected (``now_ms``), so the reuse period is tested without
sleeping.
Must not know: where wrapped keys are stored (the caller persists what ``make`` returns before
sealing with it, and hands ``learn`` what it reads back).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from densho.sealing.seal import DataKey, derive_kek, fingerprint, new_data_key, unwrap


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


class Keyring:
    def __init__(self, master: bytes, now_ms: Callable[[], int] = _wall_ms) -> None:
        self._master = master
        self._now_ms = now_ms
        self.fingerprint = fingerprint(master)
        self._keks: dict[str, AESGCM] = {}
        self._known: dict[str, DataKey] = {}  # data key id -> key
        self._current: dict[str, tuple[DataKey, int]] = {}  # key id -> (key, made at)

    def _kek(self, key_id: str) -> AESGCM:
        kek = self._keks.get(key_id)
        if kek is None:
            kek = self._keks[key_id] = derive_kek(self._master, key_id)
        return kek

    def current(self, key_id: str, reuse_ms: int) -> DataKey | None:
        """The data key that seals ``key_id``'s new values now; None when there is none
        younger than ``reuse_ms`` (``make`` one)."""
        found = self._current.get(key_id)
        if found is None or self._now_ms() - found[1] >= reuse_ms:
            return None
        return found[0]

    def make(self, key_id: str) -> tuple[DataKey, bytes, int]:
        """A new data key for ``key_id``, its wrapped form and its creation time. It is not
        used until ``adopt``: the caller stores the wrapped form first."""
        dk, wrapped = new_data_key(self._kek(key_id), key_id)
        return dk, wrapped, self._now_ms()

    def adopt(self, dk: DataKey, made_ms: int) -> None:
        """``dk`` is stored: it seals ``key_id``'s values from now on."""
        self._known[dk.id] = dk
        self._current[dk.key_id] = (dk, made_ms)

    def known(self, dk_id: str) -> DataKey | None:
        return self._known.get(dk_id)

    def learn(self, dk_id: str, key_id: str, wrapped: bytes) -> DataKey:
        """Unwrap a stored data key (SealError if this master key did not wrap it)."""
        dk = unwrap(self._kek(key_id), dk_id, key_id, bytes(wrapped))
        self._known[dk_id] = dk
        return dk
