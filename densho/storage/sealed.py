"""Encryption at rest at the row boundary: message bodies and attribute blobs, SNS outbox
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
    DataKey,
    key_of,
    open_bytes,
    open_text,
    seal_bytes,
    seal_text,
)
from densho.storage.tx import Backend, Row, Tx

log = logging.getLogger("densho")

# The associated data of each sealed column: a value cannot be moved to another column.
BODY, ATTRS, PAYLOAD, SUBJECT = b"body", b"attrs", b"payload", b"subject"
Keys = dict[Seal, DataKey]
MESSAGE_SEALED = ((2, BODY), (3, ATTRS))  # the receive claims' rows (rows.received_from_row)


class SealingUnavailable(RuntimeError):
    """A sealed value was read by a store that has no master key."""


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
        except BaseException as exc:
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

    async def _learn(self, values: Iterable[object]) -> None:
        """Make every data key the sealed ``values`` name known (read from the database when
        this process has not seen it)."""
        keyring = self.keyring
        for value in values:
            dk_id = key_of(value)
            if dk_id is None:
                continue
            if keyring is None:
                raise SealingUnavailable(
                    "an encrypted row was read but this densho has no master key "
                    "(--master-key-file or DENSHO_MASTER_KEY)"
                )
            if keyring.known(dk_id) is None:
                row = await self._fetch_key(dk_id)
                if row is None:
                    raise SealingUnavailable(f"data key {dk_id} is missing from the database")
                keyring.learn(dk_id, row[0], row[1])

    async def _fetch_key(self, dk_id: str) -> Row | None:
        args = {"id": dk_id}
        return await self._one(lambda tx: tx.fetchone("data_key_get", args))

    def _opened(self, row: Row, columns: Sequence[tuple[int, bytes]]) -> Row:
        """``row`` with its sealed ``columns`` (index, associated data) opened; its keys must be
        known (``_learn``). The row itself when none is sealed."""
        out: list[Any] | None = None
        for index, column in columns:
            value = row[index]
            dk_id = key_of(value)
            if dk_id is None:
                continue
            assert self.keyring is not None
            dk = self.keyring.known(dk_id)
            assert dk is not None
            if out is None:
                out = list(row)
            out[index] = (
                open_text(dk, value, column)
                if isinstance(value, str)
                else open_bytes(dk, value, column)
            )
        return row if out is None else out

    async def _open_rows(self, rows: list[Row], columns: Sequence[tuple[int, bytes]]) -> list[Row]:
        """``rows`` with their sealed ``columns`` opened."""
        if self.keyring is None and not any(
            key_of(r[i]) is not None for r in rows for i, _ in columns
        ):
            return rows
        await self._learn(r[i] for r in rows for i, _ in columns)
        return [self._opened(r, columns) for r in rows]

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
    data_dir: Path,
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
    """A ``rows.message_row`` with its body and attribute blob sealed (in place)."""
    if dk is not None:
        row["body"] = seal_text(dk, row["body"], BODY)
        if row["attrs"] is not None:
            row["attrs"] = seal_bytes(dk, row["attrs"], ATTRS)
    return row


def seal_payload(row: dict[str, Any], dk: DataKey | None) -> dict[str, Any]:
    """An outbox or recorded row with its payload (and subject) sealed (in place)."""
    if dk is not None:
        row["payload"] = seal_text(dk, row["payload"], PAYLOAD)
        if row.get("subject") is not None:
            row["subject"] = seal_text(dk, row["subject"], SUBJECT)
    return row
