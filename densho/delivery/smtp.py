"""SMTP transport of SNS email deliveries, through a relay the operator configures.

Owns: composing the email (From, To, Subject, a plain-text body) and handing it to the relay
with the standard library's ``smtplib`` in a worker thread, with a bounded timeout; turning the
relay's answer into an ``Attempt`` (5xx refusals are permanent, anything else is retried).
Must not know: retry policies, storage, confirmation tokens.

The sender is AWS's (``no-reply@sns.amazonaws.com``, named "AWS Notifications"); no TLS or
authentication is negotiated: the relay is expected on a trusted network (a local MTA, a test
sink).
"""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from densho.core.sns_model import OutboxEntry
from densho.sns.outbox.attempts import ATTEMPT_TIMEOUT_S, Attempt, Result

SENDER = "no-reply@sns.amazonaws.com"
SENDER_NAME = "AWS Notifications"


def parse_relay(relay: str) -> tuple[str, int]:
    """``host:port`` (or ``host``, port 25; ``[v6]:port``) of an SMTP relay setting."""
    host, sep, port = relay.rpartition(":")
    if not sep or "]" in port:
        return relay.strip("[]"), 25
    return host.strip("[]"), int(port)


def compose(entry: OutboxEntry) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((SENDER_NAME, SENDER))
    message["To"] = entry.endpoint
    message["Subject"] = entry.subject or ""
    message["Message-ID"] = make_msgid(domain="sns.amazonaws.com")
    message["X-Amz-Sns-Message-Id"] = entry.message_id
    message.set_content(entry.body)
    return message


class SmtpSender:
    def __init__(self, relay: str, timeout_s: float = ATTEMPT_TIMEOUT_S) -> None:
        self._host, self._port = parse_relay(relay)
        self._timeout = timeout_s

    async def send(self, entry: OutboxEntry) -> Attempt:
        return await asyncio.to_thread(self._send, entry)

    def _send(self, entry: OutboxEntry) -> Attempt:
        try:
            message = compose(entry)
        except (ValueError, TypeError) as exc:  # an address or subject email cannot carry
            return Attempt(Result.PERMANENT, f"cannot compose the email: {exc}")
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            permanent = all(code >= 500 for code in codes)
            return Attempt(Result.PERMANENT if permanent else Result.RETRYABLE, str(exc))
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            permanent = exc.smtp_code >= 500
            return Attempt(Result.PERMANENT if permanent else Result.RETRYABLE, str(exc))
        except (smtplib.SMTPException, OSError) as exc:
            return Attempt(Result.RETRYABLE, f"{type(exc).__name__}: {exc}")
        return Attempt(Result.DELIVERED, "sent")
