"""The rule of ChangeMessageVisibility: a pure function the store applies in its transaction.

Owns: when a change of a message's visibility is refused — the handle is not the message's
latest receive (or the message is gone), the message is not in flight, or the new timeout would
end more than the limit (12 hours) after the message's latest receive.
Must not know: SQL, the wire, AWS error texts.
"""

from __future__ import annotations

from densho.core.store import Handle, VisibilityRow


def refusal(
    handle: Handle, row: VisibilityRow | None, visible_ms: int, now_ms: int, *, max_ms: int
) -> str | None:
    """Why the change of ``handle``'s row (as the store found it) to ``visible_ms`` is refused:
    "gone", "not-inflight" or "too-long"; None when it is made."""
    if row is None or row.nonce != handle.nonce:
        return "gone"
    if row.visible_ms <= now_ms:
        return "not-inflight"
    if visible_ms - (row.last_receive_ms or now_ms) > max_ms:
        return "too-long"
    return None
