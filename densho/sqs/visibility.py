"""The rule of ChangeMessageVisibility: a pure function the store applies in its transaction.

Owns: when a change of a message's visibility is refused — the message is gone (or the handle
names another message), the new timeout would end more than the limit (12 hours) after the
message's latest receive, and, on FIFO queues only, the handle is not the message's latest
receive or the message is not in flight.
On a standard queue any receipt handle of the message changes it, in flight or not: AWS applies
a change by the handle of an earlier receive, or after the timeout ran out while nobody received
the message again (the AWS-validated LocalStack tests test_terminate_visibility_timeout_after_
receive and the snapshot ``visibility_timeout_expired``, 200). FIFO queues keep the strict
reading of the API reference (no AWS record says otherwise).
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
    """Why the change of ``handle``'s row (as the store found it) to ``visible_ms`` is refused:
    "gone", "not-inflight" or "too-long"; None when it is made."""
    if row is None or not handle.names(row.nonce, row.message_id):
        return "gone"
    if fifo:
        if row.nonce != handle.nonce:
            return "gone"
        if row.visible_ms <= now_ms:
            return "not-inflight"
    if visible_ms - (row.last_receive_ms or now_ms) > max_ms:
        return "too-long"
    return None
