"""Encryption at rest at the row boundary: messages (body and attribute blob, sealed together
into the binary ``attrs`` column, the ``body`` column keeping only the marker), SNS outbox
payloads and recorded deliveries are sealed as their rows are built and opened as they are read.

Owns: ``Sealed``, the part of every store that holds the ``Keyring`` (``use_keyring``, which
checks the master key's fingerprint against the one the database recorded), stores each new
data key (its own commit, before any value it seals is written, so a committed sealed value
always has its key), fetches data keys this process has not seen (another node's, an earlier
run's), and the functions that seal and open the columns of each kind of row.
Must not know: cryptography itself (``densho.sealing``), SQS or SNS rules: which key seals a
row comes with the record (``NewMessage.seal``, ``PublishItem.seal``).

Rows without a seal, and rows read back that carry no marker (written before encryption was
on, or to a queue without SSE), pass through unchanged; the engines never see a sealed value.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from densho.core.seal import Seal
from densho.sealing import master
from densho.sealing.keyring import Keyring
from densho.sealing.seal import (
    MARK,
    DataKey,
    key_of,
    open_bytes,
    open_text,
    seal_bytes,
    seal_text,
)
from densho.storage.tx import Backend, Row, Tx

log = logging.getLogger("densho")

# The associated data of each kind of sealed value: one cannot be passed off as another.
MESSAGE, PAYLOAD, SUBJECT = b"message", b"payload", b"subject"
Keys = dict[Seal, DataKey]
# The receive claims' rows (rows.received_from_row): body, then the attribute blob.
BODY_COLUMN, ATTRS_COLUMN = 2, 3


class SealingUnavailable(RuntimeError):
    """A sealed value was read by a store that has no master key."""


def _keyring(keyring: Keyring | None, what: str) -> Keyring:
    """The keyring that opens a sealed ``what`` just read; none: SealingUnavailable."""
    if keyring is None:
        raise SealingUnavailable(
            f"an encrypted {what} was read but this densho has no master key "
            "(--master-key-file or DENSHO_MASTER_KEY)"
        )
    return keyring


class Sealed(Backend):
    keyring: Keyring | None = None
    _making: dict[str, asyncio.Future[DataKey]] | None = None

    async def sealed_before(self) -> bool:
        """Whether this database has ever sealed anything (a master key was recorded)."""
        return await self._one(lambda tx: tx.fetchval("sealing_master_get")) is not None

    async def use_keyring(self, keyring: Keyring, now_ms: int) -> None:
        """Seal with ``keyring`` from now on. The first key a database sees is recorded (its
        fingerprint); RuntimeError, naming the problem, when ``keyring``'s is another."""
        args = {"fingerprint": keyring.fingerprint, "now": now_ms}

        async def op(tx: Tx) -> str:
            await tx.execute("sealing_master_put", args)
            found: str = await tx.fetchval("sealing_master_get")
            return found

        recorded = await self._tx(op)
        if recorded != keyring.fingerprint:
            raise RuntimeError(
                "the master key given is not the one this database's messages were encrypted "
                f"with (its fingerprint starts {keyring.fingerprint[:12]}, the database's "
                f"{recorded[:12]}): start with the original key"
            )
        self.keyring = keyring

    async def data_keys(self) -> list[tuple[str, str, int]]:
        """Every data key stored: (id, key id, created ms), oldest first."""
        rows = await self._one(lambda tx: tx.fetchall("data_keys_list"))
        return [(r[0], r[1], r[2]) for r in rows]

    # --- writing ---

    async def _data_key(self, seal: Seal | None) -> DataKey | None:
        """The data key that seals for ``seal`` now, made and stored first if needed; None when
        nothing is sealed (no seal, or no master key)."""
        keyring = self.keyring
        if seal is None or keyring is None:
            return None
        dk = keyring.current(seal.key_id, seal.reuse_ms)
        if dk is not None:
            return dk
        if self._making is None:
            self._making = {}
        pending = self._making.get(seal.key_id)
        if pending is not None:  # another send is storing one: share it
            return await asyncio.shield(pending)
        fut: asyncio.Future[DataKey] = asyncio.get_running_loop().create_future()
        self._making[seal.key_id] = fut
        try:
            dk, wrapped, made_ms = keyring.make(seal.key_id)
            args = {"id": dk.id, "key_id": dk.key_id, "wrapped": wrapped, "now": made_ms}
            await self._one(lambda tx: tx.execute("data_key_put", args))
            keyring.adopt(dk, made_ms)
            fut.set_result(dk)
        except asyncio.CancelledError:
            fut.cancel()
            raise
        except Exception as exc:
            fut.set_exception(exc)
            fut.exception()  # retrieved: nobody may be waiting
            raise
        finally:
            del self._making[seal.key_id]
        return dk

    async def _data_keys(self, seals: Iterable[Seal | None]) -> Keys:
        """The data key of each distinct seal, for an operation that seals inside its
        transaction (where nothing else may be awaited)."""
        out: Keys = {}
        for seal in set(seals):
            if seal is not None:
                dk = await self._data_key(seal)
                if dk is not None:
                    out[seal] = dk
        return out

    # --- reading ---

    async def _open_rows(self, rows: list[Row], columns: Sequence[tuple[int, bytes]]) -> list[Row]:
        """``rows`` with their sealed ``columns`` (index, associated data) opened, in one pass;
        a data key this process has not seen (another node's, an earlier run's) is read from
        the database first. Rows without a sealed value are returned as they are."""
        keyring = self.keyring
        out = rows
        for n, row in enumerate(rows):
            opened: list[Any] | None = None
            for index, column in columns:
                value = row[index]
                dk_id = key_of(value)
                if dk_id is None:
                    continue
                known = _keyring(keyring, "row")
                dk = known.known(dk_id) or await self._learn(known, dk_id)
                if opened is None:
                    opened = list(row)
                opened[index] = (
                    open_text(dk, value, column)
                    if isinstance(value, str)
                    else open_bytes(dk, value, column)
                )
            if opened is not None:
                if out is rows:
                    out = list(rows)
                out[n] = opened
        return out

    async def _open_messages(self, rows: list[Row]) -> list[Row]:
        """Receive claims' rows with sealed messages opened (``seal_message``'s inverse)."""
        keyring = self.keyring
        out = rows
        # A sealed body is the marker naming its data key, and a claim's rows mostly share one:
        # the key is looked up again only when the marker changes.
        marker: object = None
        dk: DataKey | None = None
        for n, row in enumerate(rows):
            body = row[BODY_COLUMN]
            if body != marker or dk is None:
                dk_id = key_of(body)
                if dk_id is None:
                    continue
                known = _keyring(keyring, "message")
                dk = known.known(dk_id) or await self._learn(known, dk_id)
                marker = body
            packed = open_bytes(dk, row[ATTRS_COLUMN], MESSAGE)
            size = int.from_bytes(packed[:4], "big")
            opened = list(row)
            opened[BODY_COLUMN] = packed[4 : 4 + size].decode()
            opened[ATTRS_COLUMN] = packed[4 + size :] or None
            if out is rows:
                out = list(rows)
            out[n] = opened
        return out

    async def _learn(self, keyring: Keyring, dk_id: str) -> DataKey:
        args = {"id": dk_id}
        row = await self._one(lambda tx: tx.fetchone("data_key_get", args))
        if row is None:
            raise SealingUnavailable(f"data key {dk_id} is missing from the database")
        return keyring.learn(dk_id, row[0], row[1])

    def _seal_of(self, value: object) -> Seal | None:
        """The seal a sealed value was made under (its key id, known), or None."""
        dk_id = key_of(value)
        if dk_id is None or self.keyring is None:
            return None
        dk = self.keyring.known(dk_id)
        return None if dk is None else Seal(dk.key_id)


async def start_sealing(
    store: Sealed,
    *,
    key: str | None,
    key_file: Path | None,
    data_dir: Path | None,
    now_ms: int,
) -> bool:
    """Give an opened store its master key (``densho.sealing.master`` decides which); whether
    messages are encrypted. RuntimeError (a ``MasterKeyError``) when no usable key exists."""
    master_key = master.resolve(
        key=key,
        key_file=key_file,
        data_dir=data_dir,
        shared=store.shared,
        sealed_before=await store.sealed_before(),
    )
    if master_key is None:
        log.warning(
            "no master key (--master-key-file or DENSHO_MASTER_KEY): with a PostgreSQL store, "
            "messages are NOT encrypted at rest; give every node the same key to encrypt them"
        )
        return False
    await store.use_keyring(Keyring(master_key), now_ms)
    return True


# --- sealing the columns of each kind of row ---


def seal_message(row: dict[str, Any], dk: DataKey | None) -> dict[str, Any]:
    """A ``rows.message_row`` sealed (in place): body and attribute blob go together, as one
    ciphertext, into the binary ``attrs`` column; ``body`` keeps only the marker naming the
    data key. One AES-GCM operation per message, and no base64 (rows stay as small as sent).
    """
    if dk is not None:
        body = row["body"].encode()
        packed = b"".join((len(body).to_bytes(4, "big"), body, row["attrs"] or b""))
        row["body"] = f"{MARK}{dk.id}:"
        row["attrs"] = seal_bytes(dk, packed, MESSAGE)
    return row


def seal_payload(row: dict[str, Any], dk: DataKey | None) -> dict[str, Any]:
    """An outbox or recorded row with its payload (and subject) sealed (in place)."""
    if dk is not None:
        row["payload"] = seal_text(dk, row["payload"], PAYLOAD)
        if row.get("subject") is not None:
            row["subject"] = seal_text(dk, row["subject"], SUBJECT)
    return row
