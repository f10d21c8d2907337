"""The checker on hand-made histories: each class and each violation, and the timings it must
forgive (a send of unknown outcome, a redelivery after the visibility timeout, a delivery while
a delete was still under way)."""

from __future__ import annotations

from tests.fault.checker import check
from tests.fault.history import Delete, Delivered, History, Outcome, Receive, Send

Q = "std"
F = "q.fifo"
VT = 2.0


def history() -> History:
    return History(visibility={Q: VT, F: VT})


def send(
    h: History,
    msg: str,
    at: float,
    outcome: Outcome = "ok",
    *,
    queue: str = Q,
    group: str | None = None,
    seq: int | None = None,
) -> None:
    h.add(Send(queue, msg, at, at + 0.01, outcome, group, seq))


def receive(h: History, at: float, *msgs: str, queue: str = Q, took: float = 0.01) -> None:
    got = tuple(Delivered(m, f"{m}@{at}") for m in msgs)
    h.add(Receive(queue, at, at + took, "ok", got))


def delete(h: History, msg: str, received_at: float, at: float, outcome: Outcome = "ok") -> None:
    h.add(Delete(Q, msg, f"{msg}@{received_at}", at, at + 0.01, outcome))


def test_a_clean_history_is_all_ok() -> None:
    h = history()
    send(h, "a", 0.0)
    send(h, "b", 0.1)
    receive(h, 0.2, "a", "b")
    delete(h, "a", 0.2, 0.3)
    delete(h, "b", 0.2, 0.3)
    report = check(h)
    assert report.passed
    assert report.counts["ok"] == 2
    assert report.operations == {"send.ok": 2, "receive.ok": 1, "delete.ok": 2}
    assert report.summary().startswith("ok=2 lost=0 recovered=0 unsent=0 refused=0 unexpected=0")


def test_an_acknowledged_send_never_delivered_is_lost() -> None:
    h = history()
    send(h, "a", 0.0)
    report = check(h)
    assert not report.passed
    assert report.counts["lost"] == 1
    assert "a: sent ok" in report.details()


def test_sends_of_unknown_outcome_may_arrive_or_not() -> None:
    h = history()
    send(h, "arrived", 0.0, "unknown")
    send(h, "vanished", 0.0, "unknown")
    send(h, "refused", 0.0, "failed")
    receive(h, 1.0, "arrived")
    report = check(h)
    assert report.passed
    assert (report.counts["recovered"], report.counts["unsent"], report.counts["refused"]) == (
        1,
        1,
        1,
    )


def test_a_message_never_sent_or_refused_or_sent_elsewhere_is_unexpected() -> None:
    h = history()
    send(h, "refused", 0.0, "failed")
    send(h, "to-fifo", 0.0, queue=F, group="g", seq=0)
    receive(h, 1.0, "ghost", "refused", "to-fifo")
    report = check(h)
    assert not report.passed
    assert report.counts["unexpected"] == 3


def test_a_second_delivery_within_the_visibility_timeout_is_a_duplicate() -> None:
    h = history()
    send(h, "a", 0.0)
    receive(h, 1.0, "a")
    receive(h, 2.5, "a")  # ended at 2.51 < 1.0 + 2: the first delivery still hid it
    report = check(h)
    assert report.counts["duplicated"] == 1
    assert not report.passed


def test_a_redelivery_after_the_timeout_is_allowed() -> None:
    h = history()
    send(h, "a", 0.0)
    receive(h, 1.0, "a")
    delete(h, "a", 1.0, 1.5, "unknown")  # not acknowledged: the message may come back
    receive(h, 2.5, "a", took=0.6)  # may have claimed it at 3.1, after 1.0 + 2
    report = check(h)
    assert report.passed
    assert report.counts["redelivered"] == 1
    assert report.counts["duplicated"] == 0


def test_a_message_back_after_an_acknowledged_delete_is_resurrected() -> None:
    h = history()
    send(h, "a", 0.0)
    receive(h, 1.0, "a")
    delete(h, "a", 1.0, 1.2)  # acknowledged while its handle was surely current
    receive(h, 5.0, "a")
    report = check(h)
    assert report.counts["resurrected"] == 1
    assert not report.passed


def test_a_delete_acknowledged_after_the_timeout_still_deleted() -> None:
    # By then the message may have been received again; an earlier receive's handle deletes it
    # all the same (standard queues; FIFO queues refuse it), so it must not come back.
    h = history()
    send(h, "a", 0.0)
    receive(h, 1.0, "a")
    delete(h, "a", 1.0, 3.5)
    receive(h, 5.0, "a")
    report = check(h)
    assert report.counts["resurrected"] == 1


def test_a_delivery_while_a_late_delete_ran_is_forgiven() -> None:
    h = history()
    send(h, "a", 0.0)
    receive(h, 1.0, "a")
    h.add(Delete(Q, "a", "a@1.0", 1.2, 3.5, "ok"))  # it may have taken effect only at its end
    receive(h, 3.2, "a")  # after the visibility timeout: a redelivery
    delete(h, "a", 3.2, 3.3)
    report = check(h)
    assert report.passed
    assert report.counts["redelivered"] == 1


def fifo_history(*order: tuple[str, float]) -> History:
    """Group g: sends a (ok), b (unknown), c (ok), then deliveries in the order given."""
    h = history()
    send(h, "a", 0.0, queue=F, group="g", seq=0)
    send(h, "b", 0.1, "unknown", queue=F, group="g", seq=1)
    send(h, "c", 0.2, queue=F, group="g", seq=2)
    for msg, at in order:
        receive(h, at, msg, queue=F)
    return h


def test_fifo_order_of_acknowledged_sends_is_kept() -> None:
    report = check(fifo_history(("a", 1.0), ("b", 1.5), ("c", 2.0)))
    assert report.passed and report.counts["reordered"] == 0


def test_a_send_of_unknown_outcome_may_appear_anywhere_in_its_group() -> None:
    assert check(fifo_history(("a", 1.0), ("c", 1.5), ("b", 2.0))).passed
    assert check(fifo_history(("b", 0.5), ("a", 1.0), ("c", 1.5))).passed
    assert check(fifo_history(("a", 1.0), ("c", 1.5))).passed


def test_acknowledged_sends_of_a_group_delivered_out_of_order_are_reordered() -> None:
    report = check(fifo_history(("c", 1.0), ("a", 1.5)))
    assert report.counts["reordered"] == 1
    assert "seq 0 (a)" in report.details()
    assert not report.passed


def test_order_within_one_answer_counts() -> None:
    h = history()
    send(h, "a", 0.0, queue=F, group="g", seq=0)
    send(h, "b", 0.1, queue=F, group="g", seq=1)
    receive(h, 1.0, "b", "a", queue=F)
    assert check(h).counts["reordered"] == 1
    h2 = history()
    send(h2, "a", 0.0, queue=F, group="g", seq=0)
    send(h2, "b", 0.1, queue=F, group="g", seq=1)
    send(h2, "x", 0.1, queue=F, group="h", seq=0)
    receive(h2, 1.0, "x", "a", "b", queue=F)  # groups interleave freely
    assert check(h2).passed


def test_a_redelivery_does_not_count_as_reordering() -> None:
    report = check(fifo_history(("a", 1.0), ("a", 3.5), ("c", 4.0)))
    assert report.passed
    assert report.counts["redelivered"] == 1
