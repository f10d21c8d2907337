"""What the storage contract tests share: running a scenario on a backend, a second node, and
the records a scenario writes (messages, claims, FIFO sends), with times passed in (no clock).

Scenarios marked ``two nodes`` open a second store on the same database while the first is
open: on PostgreSQL that is two densho nodes; SQLite refuses a second owner, so they run there
with one store playing both parts (the promise is the same: no message claimed twice, order
kept).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial

from densho.core.sqs_model import Attr, NewMessage
from densho.core.store import Claim, FifoSend
from densho.sqs.visibility import refusal
from densho.storage.open import AnyStore
from tests.contract.conftest import Backend

T0 = 1_700_000_000_000
# The engine's rules (12 hours at most) for a standard queue and for a FIFO queue.
VISIBILITY = partial(refusal, max_ms=43_200_000, fifo=False)
FIFO_VISIBILITY = partial(refusal, max_ms=43_200_000, fifo=True)
Scenario = Callable[[AnyStore], Awaitable[None]]


def run(backend: Backend, scenario: Scenario) -> None:
    async def main() -> None:
        async with backend.opened() as store:
            await scenario(store)

    asyncio.run(main())


def msg(
    body: str,
    now: int = T0,
    delay_ms: int = 0,
    *,
    attrs: bool = False,
    group_id: str | None = None,
    dedup_id: str | None = None,
) -> NewMessage:
    return NewMessage(
        message_id=str(uuid.uuid4()),
        body=body,
        attributes={"a": Attr("String", "x")} if attrs else {},
        system_attributes={},
        md5_body="0" * 32,
        md5_attributes=None,
        md5_system_attributes=None,
        sent_ms=now,
        visible_ms=now + delay_ms,
        sender_id="sender",
        group_id=group_id,
        dedup_id=dedup_id,
    )


def claim(
    queue_id: int, now: int = T0, limit: int = 10, vis_ms: int = 30_000, **kw: object
) -> Claim:
    return Claim(
        queue_id=queue_id,
        now_ms=now,
        limit=limit,
        visible_until_ms=now + vis_ms,
        retention_cutoff_ms=now - 345_600_000,
        nonce=random.getrandbits(62),
        **kw,  # type: ignore[arg-type]
    )


async def new_queue(store: AnyStore, name: str = "q", fifo: bool = False) -> int:
    attrs = {"FifoQueue": "true"} if fifo else {}
    queue, created = await store.create_queue("acct", name, "us-east-1", attrs, {}, T0)
    assert created
    return queue.id


def fifo_send(now: int = T0, by_group: bool = False) -> FifoSend:
    return FifoSend(now_ms=now, window_ms=300_000, by_group=by_group)


@contextlib.asynccontextmanager
async def nodes(backend: Backend, store: AnyStore) -> AsyncIterator[list[AnyStore]]:
    """``store`` and, on a backend several nodes share, a second node on its database."""
    if not store.shared:
        yield [store]
        return
    async with backend.opened() as other:
        yield [store, other]
