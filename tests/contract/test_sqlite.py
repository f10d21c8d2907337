"""What only the SQLite store promises about the operations it runs in its group commit: they
run synchronously, several in one transaction, each failing alone; one that would suspend (a
bug: it awaited something other than its ``Tx``) fails instead, and the store carries on.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from densho.storage.rows import message_row
from densho.storage.sqlite import SqliteStore
from densho.storage.tx import Tx
from tests.contract.scenarios import T0, msg

pytestmark = pytest.mark.timeout(30)


def test_operations_of_one_transaction_fail_alone_and_a_suspending_one_is_refused(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        store = SqliteStore(tmp_path / "t.db", "NORMAL")
        await store.open()
        try:
            queue, _ = await store.create_queue("a", "q", "r", {}, {}, T0)

            async def fails(tx: Tx) -> None:
                await store._insert_messages(tx, queue.id, [_row(queue.id, "lost")], None)
                raise ValueError("no")

            async def suspends(tx: Tx) -> None:
                await asyncio.sleep(0)

            # One loop turn: one transaction; the failed job's insert is undone, not the others'.
            sent, failed = await asyncio.gather(
                store.send(queue.id, [msg("kept")]), store._tx(fails), return_exceptions=True
            )
            assert isinstance(failed, ValueError) and not isinstance(sent, BaseException)
            assert (await store.counts(queue.id, T0, 0)).visible == 1
            with pytest.raises(RuntimeError, match="awaited something other than its Tx"):
                await store._tx(suspends)
            await store.send(queue.id, [msg("after")])
            assert (await store.counts(queue.id, T0, 0)).visible == 2
        finally:
            await store.close()

    asyncio.run(main())


def _row(queue_id: int, body: str) -> dict[str, Any]:
    return message_row(queue_id, msg(body))
