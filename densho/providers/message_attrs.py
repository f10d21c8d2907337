"""Message attributes as both services' wire parameters carry them, shared by the SQS and SNS
providers.

Owns: turning a ``MessageAttributes``-shaped parameter into the engine's ``Attr`` values.
Must not know: which service asked, or how attributes are checked (the engines do).
"""

from __future__ import annotations

from typing import Any

from densho.core.sqs_model import Attr


def attrs_in(wire: dict[str, Any] | None) -> dict[str, Attr]:
    if not wire:
        return {}
    return {
        name: Attr(v.get("DataType", ""), v.get("StringValue"), v.get("BinaryValue"))
        for name, v in wire.items()
    }
