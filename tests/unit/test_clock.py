"""The clocks of ``densho.core.clock``: a controlled clock's advance ends exactly the waits whose
moment has come; waits end on a wake-up (a future or an event) too, and on real time."""

from __future__ import annotations

import asyncio
import time

import pytest

from densho.core.clock import ControlledClock, FakeClock, SystemClock


def test_advance_wakes_exactly_the_waits_due() -> None:
    async def scenario() -> None:
        clock = ControlledClock()
        start = clock.now_ms()
        soon = asyncio.ensure_future(clock.wait(start + 60_000))
        later = asyncio.ensure_future(clock.wait(start + 3_600_000))
        await asyncio.sleep(0.01)
        clock.advance(60_000)
        await asyncio.wait_for(soon, 1)
        await asyncio.sleep(0.01)
        assert not later.done()
        clock.advance(3_540_000)
        await asyncio.wait_for(later, 1)
        assert clock.offset_ms == 3_600_000
        assert clock.now_ms() - start >= 3_600_000

    asyncio.run(asyncio.wait_for(scenario(), 5))


def test_a_wake_up_ends_a_wait_early() -> None:
    async def scenario() -> None:
        for clock in (ControlledClock(), SystemClock(), FakeClock()):
            event = asyncio.Event()
            waiting = asyncio.ensure_future(clock.wait(clock.now_ms() + 60_000, event))
            await asyncio.sleep(0.01)
            event.set()
            await asyncio.wait_for(waiting, 1)
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            waiting = asyncio.ensure_future(clock.wait(clock.now_ms() + 60_000, future))
            await asyncio.sleep(0.01)
            future.set_result(None)
            await asyncio.wait_for(waiting, 1)

    asyncio.run(asyncio.wait_for(scenario(), 5))


def test_real_time_ends_a_wait_and_moves_the_controlled_clock() -> None:
    async def scenario() -> None:
        clock = ControlledClock()
        clock.advance(1_000)
        began = time.monotonic()
        await clock.wait(clock.now_ms() + 50)
        assert 0.04 <= time.monotonic() - began < 1
        await clock.wait(clock.now_ms() - 1)  # a moment past: no wait

    asyncio.run(asyncio.wait_for(scenario(), 5))


def test_the_clock_only_moves_forward() -> None:
    with pytest.raises(ValueError):
        FakeClock().advance(-1)
