"""The signing key one SNS engine signs with, loaded on first use, and the process that signs
SQS envelopes beside the event loop.

Owns: when the signer and the signing process come to life (the first signed message) and end
(``close``), the SigningCertURL densho serves, and signing a Notification ahead of rendering.
Must not know: the signature algorithm (``densho.sns.signing``), the documents' layout
(``densho.sns.envelope``), topics.
"""

from __future__ import annotations

from collections.abc import Callable

from densho.sns import envelope
from densho.sns.publishing.message import Checked
from densho.sns.signing.process import SigningProcess
from densho.sns.signing.signer import Signer, notification_to_sign

_SIGNINGS_MAX = 256  # kept ``Signing``s (endpoints come from the clients' Host headers)


class Signatures:
    def __init__(self, signer: Callable[[], Signer]) -> None:
        self._factory = signer
        self._signer: Signer | None = None
        self._process: SigningProcess | None = None
        self._signings: dict[tuple[int, str], envelope.Signing] = {}

    def signer(self) -> Signer:
        if self._signer is None:
            self._signer = self._factory()
        return self._signer

    async def close(self) -> None:
        """Stop the signing process, if one was started."""
        if self._process is not None:
            await self._process.close()

    def cert_url(self, endpoint: str) -> str:
        """SigningCertURL: served by densho at this path (``endpoint`` as the client used it)."""
        return f"{endpoint}/_densho/sns/cert/{self.signer().certificate_file_name}"

    def signing(self, version: int, endpoint: str) -> envelope.Signing:
        """How a topic whose SignatureVersion is ``version`` signs what it sends."""
        key = (version, endpoint)
        signing = self._signings.get(key)
        if signing is None:  # one per version and endpoint the clients use: kept
            if len(self._signings) >= _SIGNINGS_MAX:
                self._signings.clear()
            signing = envelope.Signing(self.signer(), version, self.cert_url(endpoint))
            self._signings[key] = signing
        return signing

    async def sign_ahead(
        self, signing: envelope.Signing, message_id: str, topic_arn: str, c: Checked, now: int
    ) -> str:
        """Sign a message's SQS envelope in the signing process (beside the event loop): the
        signature, for the envelope's rendering (``Publication.signature``), also kept where
        the signer finds it for other documents of the same fields (HTTP/S, email-json)."""
        data = notification_to_sign(
            message_id, topic_arn, c.text_for("sqs"), envelope.iso_timestamp(now), c.source.subject
        )
        if self._process is None:
            self._process = SigningProcess(self.signer())
        signature = await self._process.signature(data, signing.version)
        signing.signer.remember(data, signing.version, signature)
        return signature
