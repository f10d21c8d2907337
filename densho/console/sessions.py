"""Console sessions: who signed in, their CSRF token, the notices waiting for their next page.

Owns: sessions in memory (a random id in an HttpOnly, SameSite=Strict cookie; each expires
``TTL_S`` after it was made; at most ``MAX_SESSIONS`` signed-in and as many anonymous ones, the
oldest of the same kind dropped first, so a flood of anonymous visits never signs anyone out),
checking an
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
        # Anonymous sessions (a first visit, the sign-in form, or authentication off) cost a
        # visitor nothing to make; signed-in ones need credentials. Apart, the first kind can
        # only ever evict its own.
        self._anonymous: OrderedDict[str, Session] = OrderedDict()
        self._signed_in: OrderedDict[str, Session] = OrderedDict()

    def new(self, identity: Identity | None) -> Session:
        pool = self._anonymous if identity is None else self._signed_in
        while len(pool) >= MAX_SESSIONS:
            pool.popitem(last=False)
        session = Session(
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(32),
            identity,
            self._clock() + TTL_S,
        )
        pool[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        for pool in (self._signed_in, self._anonymous):
            session = pool.get(session_id)
            if session is None:
                continue
            if session.expires <= self._clock():
                del pool[session_id]
                return None
            return session
        return None

    def end(self, session_id: str) -> None:
        self._signed_in.pop(session_id, None)
        self._anonymous.pop(session_id, None)


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
