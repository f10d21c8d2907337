"""The rule of ChangeMessageVisibility: a pure function the store applies in its transaction.

Owns: when a change of a message's visibility is not made — the message is gone (or the handle
names another message; on FIFO queues also: the handle is not the message's latest receive),
the message is not in flight, or the new timeout would end more than the limit (12 hours) after
the message's latest receive. The engine decides which of these the caller hears as an error.
On a standard queue any receipt handle of the message names it: AWS applies a change by the
handle of an earlier receive while the message is in flight (the AWS-validated LocalStack test
test_terminate_visibility_timeout_after_receive). FIFO queues keep the strict reading of the
API reference (no AWS record says otherwise).
Must not know: SQL, the wire, AWS error texts.
"""

from __future__ import annotations

from densho.core.store import Handle, VisibilityRow


def refusal(
    handle: Handle,
    row: VisibilityRow | None,
    visible_ms: int,
    now_ms: int,
    *,
    max_ms: int,
    fifo: bool,
) -> str | None:
    """Why the change of ``handle``'s row (as the store found it) to ``visible_ms`` is not made:
    "gone", "not-inflight" or "too-long"; None when it is made."""
    if row is None or not handle.names(row.nonce, row.message_id):
        return "gone"
    if fifo and row.nonce != handle.nonce:
        return "gone"
    if row.visible_ms <= now_ms:
        return "not-inflight"
    if visible_ms - (row.last_receive_ms or now_ms) > max_ms:
        return "too-long"
    return None
