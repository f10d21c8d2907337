"""Checking an SNS notification's signature as a subscriber would, for the ``sns`` scenario.

Owns: the bytes a Notification signs (AWS's documented field list), fetching the signing
certificate from its SigningCertURL (on this machine only), and the RSA check for
SignatureVersion 1 (SHA1) and 2 (SHA256). It uses nothing of densho's own signing code, so a
server that signs wrongly, or not at all, fails here.
Must not know: how the scenario drains its queues or times its publishes.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import urllib.parse
import urllib.request
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
_NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_LOOPBACK = ("127.0.0.1", "localhost")
MIN_SIGNATURE_BYTES = 128  # RSA-1024 and up


def signed_bytes(envelope: dict[str, Any]) -> bytes:
    """The string a Notification's signature covers (Subject only when present)."""
    parts = []
    for key in _NOTIFICATION_KEYS:
        value = envelope.get(key)
        if value is None and key == "Subject":
            continue
        parts.append(f"{key}\n{value}\n")
    return "".join(parts).encode()


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as answer:  # loopback only: checked by caller
        body: bytes = answer.read()
        return body


async def signature_problem(envelope: dict[str, Any]) -> str | None:
    """Why ``envelope`` (a Notification) does not carry a valid signature, or None."""
    version = envelope.get("SignatureVersion")
    if version not in ("1", "2"):
        return f"SignatureVersion {version!r} (want 1 or 2)"
    given = str(envelope.get("Signature", ""))
    try:
        signature = base64.b64decode(given, validate=True)
    except binascii.Error:
        signature = b""
    if len(signature) < MIN_SIGNATURE_BYTES:
        return f"Signature {given[:20]!r} is no RSA signature"
    url = str(envelope.get("SigningCertURL") or "")
    host = urllib.parse.urlsplit(url).hostname
    if host not in _LOOPBACK:
        return f"SigningCertURL {url!r} is not on this machine: cannot check"
    try:
        cert = x509.load_pem_x509_certificate(await asyncio.to_thread(_fetch, url))
    except (OSError, ValueError) as exc:
        return f"SigningCertURL {url!r}: {exc}"
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        return "the signing certificate's key is not RSA"
    algorithm: hashes.HashAlgorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    try:
        key.verify(signature, signed_bytes(envelope), padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        return "the signature does not verify against the signing certificate"
    return None
