"""Console sessions (``densho.console.sessions``): expiry, the bound on how many are kept,
CSRF tokens, and the credential check behind sign-in."""

from __future__ import annotations

from densho.console import sessions
from densho.console.sessions import Sessions, check_credentials
from densho.core.identity import Identity
from densho.protocol.sigv4 import Secret

ALICE = Identity("111111111111", "arn:aws:iam::111111111111:root", "AKIAALICE")
TEMP = Identity("111111111111", "arn:aws:iam::111111111111:root", "ASIATEMP")
KNOWN = {
    "AKIAALICE": Secret("alice-secret", ALICE),
    "ASIATEMP": Secret("temp-secret", TEMP, session_token="the-token"),
}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_lasts_until_its_expiry_then_is_gone() -> None:
    clock = Clock()
    kept = Sessions(clock)
    session = kept.new(ALICE)
    assert kept.get(session.id) is session and session.identity == ALICE
    clock.now += sessions.TTL_S - 1
    assert kept.get(session.id) is session
    clock.now += 1
    assert kept.get(session.id) is None
    assert kept.get("") is None and kept.get(None) is None


def test_ids_and_tokens_are_random_and_ending_a_session_forgets_it() -> None:
    kept = Sessions(Clock())
    one, two = kept.new(None), kept.new(None)
    assert one.id != two.id and one.csrf != two.csrf and len(one.id) >= 40
    assert one.csrf_ok(one.csrf) and not one.csrf_ok(two.csrf) and not one.csrf_ok("")
    kept.end(one.id)
    assert kept.get(one.id) is None and kept.get(two.id) is two


def test_the_oldest_session_goes_when_the_bound_is_reached() -> None:
    kept = Sessions(Clock())
    first = kept.new(None)
    for _ in range(sessions.MAX_SESSIONS - 1):
        kept.new(None)
    assert kept.get(first.id) is first
    kept.new(None)
    assert kept.get(first.id) is None


def test_a_flood_of_anonymous_visits_signs_nobody_out() -> None:
    kept = Sessions(Clock())
    alice = kept.new(ALICE)
    for _ in range(sessions.MAX_SESSIONS + 10):
        kept.new(None)
    assert kept.get(alice.id) is alice
    signed_in = [kept.new(ALICE) for _ in range(sessions.MAX_SESSIONS)]
    assert kept.get(alice.id) is None and kept.get(signed_in[0].id) is signed_in[0]


def test_notices_are_shown_once() -> None:
    session = Sessions(Clock()).new(None)
    session.notice("ok", "sent")
    assert session.take_notices() == [("ok", "sent")]
    assert session.take_notices() == []


def test_check_credentials() -> None:
    assert check_credentials(KNOWN.get, "AKIAALICE", "alice-secret") == ALICE
    assert check_credentials(KNOWN.get, "AKIAALICE", "alice-secreT") is None
    assert check_credentials(KNOWN.get, "AKIAALICE", "") is None
    assert check_credentials(KNOWN.get, "AKIANOBODY", "alice-secret") is None


def test_temporary_credentials_need_their_session_token() -> None:
    assert check_credentials(KNOWN.get, "ASIATEMP", "temp-secret") is None
    assert check_credentials(KNOWN.get, "ASIATEMP", "temp-secret", "other") is None
    assert check_credentials(KNOWN.get, "ASIATEMP", "temp-secret", "the-token") == TEMP
    assert check_credentials(KNOWN.get, "ASIATEMP", "wrong", "the-token") is None
