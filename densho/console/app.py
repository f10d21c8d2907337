"""The console's front door: routes, sign-in, the session cookie, CSRF, static files.

Owns: ``Console.handle`` (an ``HttpRequest`` under ``/_densho/console`` in, an ``Answer`` out):
which page or form a path is, that a viewer has signed in when authentication is on (access key
and secret checked against the configured credentials; a session per sign-in), that every
POST carries its session's CSRF token, and the cookie's attributes (HttpOnly, SameSite=Strict,
Secure over TLS).
Must not know: ASGI, SQL, the wire (pages act through ``Visit``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from importlib import resources
from urllib.parse import unquote

from densho.console import queue_pages, topic_pages
from densho.console.render import render
from densho.console.sessions import COOKIE, TTL_S, Session, Sessions, check_credentials
from densho.console.visit import PREFIX, Answer, Services, Visit
from densho.protocol.http import HttpRequest
from densho.protocol.sigv4 import Lookup

log = logging.getLogger("densho.console")

STATIC = {
    "console.css": b"text/css; charset=utf-8",
    "console.js": b"text/javascript; charset=utf-8",
}
Page = Callable[[Visit], Awaitable[Answer]]
# Every page: scripts and styles only from the console itself (no inline ones are used), never
# framed by another site (clickjacking), no content-type guessing, no referrer to links out.
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


def _cookies(header: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            out.setdefault(name, value)
    return out


class Console:
    def __init__(self, services: Services, credentials: Lookup | None) -> None:
        self.services = services
        self._credentials = credentials  # None: authentication off
        self._sessions = Sessions()
        self._static = {
            name: resources.files("densho.console").joinpath("static", name).read_bytes()
            for name in STATIC
        }

    async def handle(self, request: HttpRequest) -> Answer:
        path = request.path[len(PREFIX) :].rstrip("/") or "/"
        if path.startswith("/static/"):
            name = path[len("/static/") :]
            if name not in STATIC or request.method not in ("GET", "HEAD"):
                return Answer(404, b"Not found", b"text/plain")
            return Answer(
                200,
                self._static[name],
                STATIC[name],
                [(b"cache-control", b"max-age=300")],
            )
        if request.method not in ("GET", "HEAD", "POST"):
            return Answer(405, b"Method not allowed", b"text/plain")
        cookie = _cookies(request.headers.get("cookie", "")).get(COOKIE)
        session = self._sessions.get(cookie)
        fresh = session is None
        if session is None:  # signed out, or a first visit: no identity yet
            session = self._sessions.new(None)
        visit = Visit(request, session, self.services)
        try:
            answer = await self._route(visit, path)
        except Exception:
            log.exception("console page %s failed", request.path)
            answer = render(visit, "missing.html", status=500, what="this page (server error)")
        if fresh or visit.session is not session:
            answer.headers.append(self._cookie(visit.session, request.secure))
        answer.headers.extend(SECURITY_HEADERS)
        return answer

    def _cookie(self, session: Session, secure: bool) -> tuple[bytes, bytes]:
        value = (
            f"{COOKIE}={session.id}; Path={PREFIX}; Max-Age={TTL_S}; HttpOnly; SameSite=Strict"
            + ("; Secure" if secure else "")
        )
        return b"set-cookie", value.encode()

    async def _route(self, visit: Visit, path: str) -> Answer:
        post = visit.request.method == "POST"
        if path == "/signin":
            return await self._signin(visit) if post else render(visit, "signin.html")
        if post and not visit.session.csrf_ok(visit.form.get("csrf", "")):
            return Answer(403, b"Missing or stale form token: reload the page.", b"text/plain")
        if path == "/signout" and post:
            self._sessions.end(visit.session.id)
            visit.session = self._sessions.new(None)
            return Answer.redirect(f"{PREFIX}/signin" if self._credentials else PREFIX)
        if self._credentials is not None and visit.session.identity is None:
            return Answer.redirect(f"{PREFIX}/signin")
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if path in ("/", "/queues"):
            return await queue_pages.queue_list(visit)
        if parts[0] == "queues":
            # /queues/ACCOUNT/REGION/NAME, and /ACTION to post a form. A link from before
            # regions, /queues/ACCOUNT/NAME[/ACTION], names a queue of the default region.
            named = parts[1:]
            if len(named) == (3 if post else 2):
                named.insert(1, visit.services.region)
            if len(named) == 3 and not post:
                return await queue_pages.queue_page(visit, named[0], named[1], named[2])
            if len(named) == 4 and post:
                return await queue_pages.queue_action(visit, named[0], named[1], named[2], named[3])
        pages: dict[tuple[str, bool], Page] = {
            ("/topics", False): topic_pages.topic_list,
            ("/topic", False): topic_pages.topic_page,
            ("/topic/publish", True): topic_pages.publish,
            ("/deliveries", False): topic_pages.deliveries,
        }
        page = pages.get((path, post))
        if page is None:
            return render(visit, "missing.html", status=404, what=visit.request.path)
        return await page(visit)

    async def _signin(self, visit: Visit) -> Answer:
        if self._credentials is None:
            return Answer.redirect(PREFIX)
        if not visit.session.csrf_ok(visit.form.get("csrf", "")):
            return Answer(403, b"Missing or stale form token: reload the page.", b"text/plain")
        identity = check_credentials(
            self._credentials,
            visit.form.get("access_key", "").strip(),
            visit.form.get("secret", ""),
            visit.form.get("session_token", "").strip(),
        )
        if identity is None:
            visit.session.notice("error", "Wrong access key or secret.")
            return render(visit, "signin.html", status=401)
        # A new session (a new id) at sign-in: an id seen before signing in is worth nothing.
        self._sessions.end(visit.session.id)
        visit.session = self._sessions.new(identity)
        return Answer.redirect(PREFIX)
