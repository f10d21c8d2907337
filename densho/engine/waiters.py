"""Long-poll wake-ups: a receive waiting on an empty queue sleeps until told something changed.

Owns: one shared future per queue; a commit that may have made messages visible resolves it.
A waiter takes the token *before* it looks at the queue, so a send that commits in between is
never missed. No polling loops: the only timer is the waiter's own deadline (or the earliest
known visible_at of a delayed or in-flight message).
Must not know: storage, the wire.
"""

from __future__ import annotations

import asyncio


class Waiters:
    def __init__(self) -> None:
        self._tokens: dict[int, asyncio.Future[None]] = {}

    def token(self, key: int) -> asyncio.Future[None]:
        fut = self._tokens.get(key)
        if fut is None or fut.done():
            fut = asyncio.get_running_loop().create_future()
            self._tokens[key] = fut
        return fut

    def notify(self, key: int) -> None:
        fut = self._tokens.pop(key, None)
        if fut is not None and not fut.done():
            fut.set_result(None)

    def notify_all(self) -> None:
        for key in list(self._tokens):
            self.notify(key)

    @staticmethod
    async def wait(token: asyncio.Future[None], timeout_s: float) -> None:
        if timeout_s > 0 and not token.done():
            # asyncio.wait never cancels the shared token, whatever happens to this waiter.
            await asyncio.wait((token,), timeout=timeout_s)
