"""Console sessions: who signed in, their CSRF token, the notices waiting for their next page.

Owns: sessions in memory (a random id in an HttpOnly, SameSite=Strict cookie; each expires
``TTL_S`` after it was made; at most ``MAX_SESSIONS``, the oldest dropped first), checking an
access key and secret against the configured credentials in constant time, and the CSRF token
every form carries. With authentication off a session names no identity (it still carries the
CSRF token and the notices).
Must not know: HTTP parsing, pages, the AWS operations.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from densho.core.identity import Identity
from densho.protocol.sigv4 import Lookup

COOKIE = "densho_console"
TTL_S = 8 * 3600
MAX_SESSIONS = 10_000
# Compared against when the access key is unknown, so both refusals take the same time.
_NOBODY = secrets.token_urlsafe(30)


@dataclass
class Session:
    id: str
    csrf: str
    identity: Identity | None
    expires: float  # monotonic seconds
    notices: list[tuple[str, str]] = field(default_factory=list)  # (kind, text)

    def notice(self, kind: str, text: str) -> None:
        """Shown on the next page drawn (after a form's redirect): "ok" or "error"."""
        self.notices.append((kind, text))

    def take_notices(self) -> list[tuple[str, str]]:
        out, self.notices = self.notices, []
        return out

    def csrf_ok(self, given: str) -> bool:
        return hmac.compare_digest(self.csrf.encode(), given.encode())


class Sessions:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._by_id: OrderedDict[str, Session] = OrderedDict()

    def new(self, identity: Identity | None) -> Session:
        while len(self._by_id) >= MAX_SESSIONS:
            self._by_id.popitem(last=False)
        session = Session(
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(32),
            identity,
            self._clock() + TTL_S,
        )
        self._by_id[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        session = self._by_id.get(session_id)
        if session is not None and session.expires <= self._clock():
            del self._by_id[session_id]
            return None
        return session

    def end(self, session_id: str) -> None:
        self._by_id.pop(session_id, None)


def check_credentials(
    lookup: Lookup, access_key: str, secret: str, session_token: str = ""
) -> Identity | None:
    """The identity an access key and its secret stand for; None if either is wrong, or if
    the key is a temporary credential's and ``session_token`` is not its token (as a signed
    request must carry it). Compared in constant time; an unknown key costs the same."""
    found = lookup(access_key)
    expected = found.secret_access_key if found is not None else _NOBODY
    matches = hmac.compare_digest(expected.encode(), secret.encode())
    token = found.session_token if found is not None else None
    if token is not None:
        matches = hmac.compare_digest(token.encode(), session_token.encode()) and matches
    if found is None or not matches:
        return None
    return found.identity
