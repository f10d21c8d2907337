"""Encryption at rest in the store (``densho/storage/sealed.py``), on every backend: what is
sent sealed reads back as sent, through the same store, a restart (another store on the same
database with the same master key), or another node; a store without the key cannot read it;
another master key is refused; a message changed behind the store's back fails to open; data
keys are reused for their period, then replaced; SNS outbox and recorded rows of a sealed topic
read back as written.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3

import asyncpg
import pytest

from densho.core.seal import Seal
from densho.core.sns_model import Delivery, OutboxEntry, PublishItem, Recorded, Topic
from densho.core.sqs_model import Attr, NewMessage
from densho.sealing.keyring import Keyring
from densho.sealing.seal import SealError
from densho.storage.open import AnyStore
from densho.storage.sealed import SealingUnavailable
from tests.contract.conftest import Backend
from tests.contract.scenarios import T0, claim, msg, new_queue

pytestmark = pytest.mark.timeout(60)

TOPIC = "arn:aws:sns:r:a:sealed"
SEAL = Seal("alias/x", 300_000)


class FakeClock:
    def __init__(self) -> None:
        self.ms = T0

    def __call__(self) -> int:
        return self.ms


def sealed_msg(body: str, seal: Seal | None = SEAL) -> NewMessage:
    m = msg(body, attrs=True)
    m.attributes = {"s": Attr("String", f"attr {body}"), "b": Attr("Binary", None, b"\x00bin")}
    m.seal = seal
    return m


async def _keyed(store: AnyStore, master: bytes, clock: FakeClock | None = None) -> AnyStore:
    await store.use_keyring(Keyring(master, clock or FakeClock()), T0)
    return store


def test_sealed_messages_read_back_on_the_same_store_a_restart_and_not_without_the_key(
    backend: Backend,
) -> None:
    master = os.urandom(32)

    async def main() -> None:
        async with backend.opened() as store:
            assert not await store.sealed_before()
            await _keyed(store, master)
            assert await store.sealed_before()
            q = await new_queue(store)
            await store.send(q, [sealed_msg("one"), sealed_msg("two")])
            await store.send(q, [sealed_msg("plain", seal=None)])
            got, _, _ = await store.receive(claim(q, vis_ms=0))
            assert sorted(m.body for m in got) == ["one", "plain", "two"]
            by_body = {m.body: m for m in got}
            assert by_body["one"].attributes == {
                "s": Attr("String", "attr one"),
                "b": Attr("Binary", None, b"\x00bin"),
            }
            assert [k[1] for k in await store.data_keys()] == ["alias/x"]
        async with backend.opened() as restarted:  # new process: keys read from the database
            await _keyed(restarted, master)
            got, _, _ = await restarted.receive(claim(q, now=T0 + 1, vis_ms=0))
            assert sorted(m.body for m in got) == ["one", "plain", "two"]
        async with backend.opened() as keyless:
            with pytest.raises(SealingUnavailable, match="no master key"):
                await keyless.receive(claim(q, now=T0 + 2, vis_ms=0))
        async with backend.opened() as other:
            with pytest.raises(RuntimeError, match="not the one this database"):
                await _keyed(other, os.urandom(32))
            assert other.keyring is None

    asyncio.run(main())


def test_a_data_key_is_reused_for_its_period_then_a_new_one_is_stored(backend: Backend) -> None:
    async def main() -> None:
        clock = FakeClock()
        async with backend.opened() as store:
            await _keyed(store, os.urandom(32), clock)
            q = await new_queue(store)
            short = Seal("alias/short", 60_000)
            await asyncio.gather(*(store.send(q, [sealed_msg(f"m{i}", short)]) for i in range(5)))
            assert len(await store.data_keys()) == 1  # concurrent sends made one key
            clock.ms += 59_999
            await store.send(q, [sealed_msg("same key", short)])
            assert len(await store.data_keys()) == 1
            clock.ms += 1
            await store.send(q, [sealed_msg("new key", short)])
            await store.send(q, [sealed_msg("managed", Seal("sqs-managed"))])
            keys = await store.data_keys()
            assert sorted(k[1] for k in keys) == ["alias/short", "alias/short", "sqs-managed"]
            got, _, _ = await store.receive(claim(q, now=clock.ms, vis_ms=0))
            assert len(got) == 8  # every key still opens its messages

    asyncio.run(main())


def _entry(n: int) -> OutboxEntry:
    return OutboxEntry(
        "arn:sub:h",
        TOPIC,
        "https",
        "https://example.com/hook",
        "Notification",
        f"m{n}",
        f"secret body {n}",
        T0,
        headers=[("x-amz-sns-message-id", f"m{n}")],
        subject="secret subject",
        attributes={"a": Attr("String", "secret attr")},
    )


def test_a_sealed_topic_outbox_and_recorded_rows_read_back(backend: Backend) -> None:
    async def main() -> None:
        async with backend.opened() as store:
            await _keyed(store, os.urandom(32))
            dlq = await new_queue(store, "dlq")
            await store.create_topic(Topic(TOPIC, "a", "r", "sealed", {}, {}, T0))
            kept = Recorded(
                "sms", "+15550001", TOPIC, "arn:sub:r", "Notification", "r1", "p", T0, "s"
            )
            delivered = Delivery(dlq, sealed_msg("to sqs"), None)
            item = PublishItem(
                "p1", None, None, [delivered], [_entry(1)], recorded=[kept], seal=SEAL
            )
            await store.publish(TOPIC, [item])
            [claimed] = await store.outbox_claim(T0, "l", T0 + 60_000, 10)
            assert claimed.entry == _entry(1)
            assert claimed.entry.seal == Seal("alias/x")  # a copy recorded later stays sealed
            [row] = await store.recorded()
            assert row.delivery == kept
            got, _, _ = await store.receive(claim(dlq))
            assert [m.body for m in got] == ["to sqs"]
            # Given up: recorded from the sealed row, sealed alike, read back as written.
            email = Recorded(
                "email",
                "a@b",
                TOPIC,
                "arn:sub:h",
                "Notification",
                "m1",
                "x",
                T0,
                None,
                claimed.entry.seal,
            )
            assert await store.outbox_record(claimed.row_id, "l", email, T0 + 1)
            assert [r.delivery for r in await store.recorded(protocol="email")] == [email]

    asyncio.run(main())


async def _flip_last_byte(backend: Backend) -> None:
    """Change one byte of every stored message's sealed column, behind the store's back."""
    if backend.kind == "sqlite":
        conn = sqlite3.connect(backend.url.removeprefix("sqlite:///"))
        for seq, blob in conn.execute("SELECT seq, attrs FROM messages").fetchall():
            conn.execute(
                "UPDATE messages SET attrs = ? WHERE seq = ?",
                (blob[:-1] + bytes([blob[-1] ^ 1]), seq),
            )
        conn.commit()
        conn.close()
        return
    conn = await asyncpg.connect(backend.url)
    try:
        await conn.execute(
            "UPDATE messages SET attrs = set_byte(attrs, length(attrs) - 1,"
            " get_byte(attrs, length(attrs) - 1) # 1)"
        )
    finally:
        await conn.close()


def test_a_tampered_message_fails_to_open(backend: Backend) -> None:
    master = os.urandom(32)

    async def main() -> None:
        async with backend.opened() as store:
            await _keyed(store, master)
            q = await new_queue(store)
            await store.send(q, [sealed_msg("secret")])
        await _flip_last_byte(backend)
        async with backend.opened() as store:
            await _keyed(store, master)
            with pytest.raises(SealError, match="fails authentication"):
                await store.receive(claim(q, vis_ms=0))

    asyncio.run(main())
