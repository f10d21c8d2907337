"""Subscriber endpoints for SNS delivery tests: an HTTP server and an SMTP sink on 127.0.0.1.

Owns: ``HttpSubscriber`` (a threaded ``http.server`` that records every request and answers
each path with scripted statuses, optionally holding a request until released) and ``SmtpSink``
(just enough SMTP to accept mail from smtplib and keep it). Both run in daemon threads, bind a
free port, and every wait they offer is bounded.
Knows nothing of densho: it sees only HTTP requests and SMTP sessions.
"""

from __future__ import annotations

import email
import email.policy
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass(frozen=True)
class Request:
    at: float  # time.monotonic() on arrival
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class HttpSubscriber:
    """Records requests; ``script(path, [500, 500])`` makes the next requests to ``path``
    answer those statuses (then 200). ``hold(path)`` keeps the next request to ``path`` open
    until ``release(path)`` (or 20 s)."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._cond = threading.Condition()
        self._scripts: dict[str, list[int]] = {}
        self._holds: dict[str, threading.Event] = {}
        subscriber = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path
                request = Request(
                    time.monotonic(),
                    self.command,
                    path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                with subscriber._cond:
                    subscriber.requests.append(request)
                    script = subscriber._scripts.get(path)
                    status = script.pop(0) if script else 200
                    hold = subscriber._holds.pop(path, None)
                    subscriber._cond.notify_all()
                if hold is not None:
                    hold.wait(20)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the client went away (a killed server)

            do_POST = _handle
            do_GET = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, path: str, statuses: list[int]) -> None:
        with self._cond:
            self._scripts[path] = list(statuses)

    def hold(self, path: str) -> threading.Event:
        event = threading.Event()
        with self._cond:
            self._holds[path] = event
        return event

    def to(self, path: str, kind: str | None = None) -> list[Request]:
        """Requests to ``path`` so far (of one ``x-amz-sns-message-type``, if given)."""
        with self._cond:
            return [
                r
                for r in self.requests
                if r.path == path
                and (kind is None or r.headers.get("x-amz-sns-message-type") == kind)
            ]

    def wait_for(
        self, path: str, kind: str | None = None, count: int = 1, timeout: float = 10.0
    ) -> list[Request]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = [
                    r
                    for r in self.requests
                    if r.path == path
                    and (kind is None or r.headers.get("x-amz-sns-message-type") == kind)
                ]
                if len(got) >= count:
                    return got
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    pytest.fail(
                        f"{count} {kind or 'request'}(s) to {path} not received within "
                        f"{timeout} s; got {len(got)}"
                    )
                self._cond.wait(remaining)

    def close(self) -> None:
        for event in list(self._holds.values()):
            event.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


class SmtpSink:
    """Accepts every message over plain SMTP (HELO/EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT)
    and keeps it as an ``EmailMessage`` with its envelope recipients."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self._cond = threading.Condition()
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 10

            def _reply(self, line: str) -> None:
                self.wfile.write(line.encode("ascii") + b"\r\n")
                self.wfile.flush()

            def handle(self) -> None:
                self._reply("220 sink ESMTP")
                recipients: list[str] = []
                while True:
                    raw = self.rfile.readline()
                    if not raw:
                        return
                    command = raw.decode("utf-8", "replace").strip()
                    verb = command[:4].upper()
                    if verb in ("HELO", "EHLO"):
                        self._reply("250 sink")
                    elif verb == "MAIL":
                        recipients = []
                        self._reply("250 OK")
                    elif verb == "RCPT":
                        recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                        self._reply("250 OK")
                    elif verb == "DATA":
                        self._reply("354 End data with <CR><LF>.<CR><LF>")
                        lines: list[bytes] = []
                        while True:
                            line = self.rfile.readline()
                            if not line or line in (b".\r\n", b".\n"):
                                break
                            lines.append(line[1:] if line.startswith(b"..") else line)
                        parsed = email.message_from_bytes(
                            b"".join(lines), policy=email.policy.default
                        )
                        assert isinstance(parsed, EmailMessage)
                        with sink._cond:
                            sink.messages.append((recipients, parsed))
                            sink._cond.notify_all()
                        self._reply("250 OK queued")
                    elif verb in ("RSET", "NOOP"):
                        self._reply("250 OK")
                    elif verb == "QUIT":
                        self._reply("221 bye")
                        return
                    else:
                        self._reply("502 not implemented")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True
            address_family = socket.AF_INET

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def wait_for(
        self, match: Callable[[list[str], EmailMessage], bool], timeout: float = 10.0
    ) -> EmailMessage:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for recipients, message in self.messages:
                    if match(recipients, message):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    pytest.fail(f"no matching email within {timeout} s; got {self.messages!r}")
                self._cond.wait(remaining)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
