"""Injected time: every engine decision reads the clock in epoch milliseconds, and everything that
waits for a moment of that time (a long poll's end, a delayed message, an SNS retry, a move
task's pace) waits through it.

Owns: the ``Clock`` interface; the real clock; the controlled clock of ``--clock controlled``,
which moves with real time and can be pushed forward (``advance``), waking at once exactly the
waits whose moment has come; and a fake one for unit tests that only moves when told.
Must not know: anything else. Real-time I/O timeouts (a client's pause, an HTTP delivery's
connect timeout, a database's answer) are not this clock's: they stay on the event loop's time.

The controlled clock is per process: its offset lives in memory, so several nodes sharing a
PostgreSQL store would each keep their own. Tests run one node.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

SYSTEM = "system"
CONTROLLED = "controlled"
MODES = (SYSTEM, CONTROLLED)

# What a wait may be cut short by: a long poll's wake-up future, a worker's event.
Wake = asyncio.Future[None] | asyncio.Event | None


class Clock(Protocol):
    mode: str  # SYSTEM or CONTROLLED

    def now_ms(self) -> int: ...

    @property
    def offset_ms(self) -> int:
        """How far the clock was pushed ahead of real time (0: never)."""
        ...

    async def wait(self, until_ms: int, wake: Wake = None) -> None:
        """Return when the clock reaches ``until_ms``, or when ``wake`` is done (set)."""
        ...


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


async def _wait_real(delay_ms: int, wake: Wake, *extra: asyncio.Future[None]) -> None:
    """Wait ``delay_ms`` of real time, or until ``wake`` or one of ``extra`` is done."""
    if delay_ms <= 0:
        return
    waited: list[asyncio.Future[None]] = list(extra)
    event_task: asyncio.Task[bool] | None = None
    if isinstance(wake, asyncio.Event):
        if wake.is_set():
            return
        event_task = asyncio.ensure_future(wake.wait())
        waited.append(event_task)  # type: ignore[arg-type]  # done is all that is read
    elif wake is not None:
        if wake.done():
            return
        waited.append(wake)
    try:
        if waited:
            await asyncio.wait(waited, timeout=delay_ms / 1000, return_when=asyncio.FIRST_COMPLETED)
        else:
            await asyncio.sleep(delay_ms / 1000)
    finally:
        if event_task is not None:
            event_task.cancel()


class SystemClock:
    mode = SYSTEM

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000  # _wall_ms, without its call (several per request)

    @property
    def offset_ms(self) -> int:
        return 0

    async def wait(self, until_ms: int, wake: Wake = None) -> None:
        await _wait_real(until_ms - self.now_ms(), wake)


class _Pushable:
    """A clock at ``_base() + offset``; ``advance`` adds to the offset and ends the waits whose
    moment has come (each wait also ends on its own timer, so real time moves it too)."""

    mode = CONTROLLED

    def __init__(self) -> None:
        self._offset = 0
        self._timers: dict[asyncio.Future[None], int] = {}  # a waiting timer -> its moment

    def _base(self) -> int:
        raise NotImplementedError

    def now_ms(self) -> int:
        return self._base() + self._offset

    @property
    def offset_ms(self) -> int:
        return self._offset

    def advance(self, ms: int) -> None:
        if ms < 0:
            raise ValueError("the clock only moves forward")
        self._offset += ms
        now = self.now_ms()
        for timer, until in list(self._timers.items()):
            if until <= now and not timer.done():
                timer.set_result(None)

    async def wait(self, until_ms: int, wake: Wake = None) -> None:
        delay = until_ms - self.now_ms()
        if delay <= 0:
            return
        timer: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._timers[timer] = until_ms
        try:
            # The real-time timeout is the remaining virtual time: the clock moves at real speed.
            await _wait_real(delay, wake, timer)
        finally:
            del self._timers[timer]
            timer.cancel()


class ControlledClock(_Pushable):
    """``--clock controlled``: real time plus what ``advance`` added."""

    def _base(self) -> int:
        return _wall_ms()


class FakeClock(_Pushable):
    """A clock that only moves when told to (unit tests of delay, visibility and retention)."""

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        super().__init__()
        self._start = start_ms

    def _base(self) -> int:
        return self._start


def make(mode: str) -> SystemClock | ControlledClock:
    """The clock ``--clock`` names."""
    return ControlledClock() if mode == CONTROLLED else SystemClock()
