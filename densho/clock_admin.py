"""densho's time-control endpoints, for test suites: ``GET /_densho/clock`` and
``POST /_densho/clock/advance?seconds=N``.

Owns: reading ``seconds`` (a non-negative number, fractions allowed), the answers' shapes —
``{"mode", "now_ms", "now", "offset_ms"}`` — and the refusal to advance a system clock (409).
What else an advance sets off (expiry of what is now past its retention) is the caller's
``after`` callback.
Must not know: ASGI, the engines, the stores.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import orjson

from densho.core.clock import CONTROLLED, Clock, ControlledClock

CLOCK = "/_densho/clock"
ADVANCE = CLOCK + "/advance"
PATHS = (CLOCK, ADVANCE)
# At most a century per call: beyond it epoch milliseconds leave what the stores keep.
MAX_ADVANCE_S = 100 * 365 * 86_400

JSON = b"application/json"
TEXT = b"text/plain; charset=utf-8"
NOT_CONTROLLED = "the clock is not controlled (start densho with --clock controlled)"

Answer = tuple[int, bytes, bytes]  # status, content type, body


def now_document(clock: Clock) -> dict[str, Any]:
    now = clock.now_ms()
    moment = datetime.datetime.fromtimestamp(now / 1000, datetime.UTC)
    return {
        "mode": clock.mode,
        "now_ms": now,
        "now": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "offset_ms": clock.offset_ms,
    }


def _seconds(query_string: bytes) -> float | str:
    """The ``seconds`` parameter, or why it is refused."""
    given = parse_qs(query_string.decode("latin-1")).get("seconds")
    if not given:
        return "seconds is required (POST /_densho/clock/advance?seconds=N)\n"
    try:
        seconds = float(given[0])
    except ValueError:
        return f"seconds must be a number, not {given[0]!r}\n"
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_ADVANCE_S:
        return f"seconds must be between 0 and {MAX_ADVANCE_S}, not {given[0]!r}\n"
    return seconds


async def handle(
    method: str, path: str, query_string: bytes, clock: Clock, after: Callable[[], Awaitable[None]]
) -> Answer:
    if path == CLOCK:
        if method != "GET":
            return 405, TEXT, b"GET only\n"
        return 200, JSON, orjson.dumps(now_document(clock))
    if method != "POST":
        return 405, TEXT, b"POST only\n"
    if clock.mode != CONTROLLED or not isinstance(clock, ControlledClock):
        return 409, JSON, orjson.dumps({"error": NOT_CONTROLLED})
    seconds = _seconds(query_string)
    if isinstance(seconds, str):
        return 400, TEXT, seconds.encode()
    clock.advance(round(seconds * 1000))
    await after()
    return 200, JSON, orjson.dumps(now_document(clock))
