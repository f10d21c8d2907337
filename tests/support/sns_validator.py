"""An SNS message validator independent of densho, for tests that check signatures as a
subscriber does. Written from the SNS Developer Guide ("Verifying the signatures of Amazon SNS
messages"), not from densho's code: the certificate URL must name a .pem file (and be https when
the caller asks, as AWS's own validators require); fetch it; build the string to sign from the
message's own fields; verify SHA1withRSA (SignatureVersion 1) or SHA256withRSA (2).

Owns: the signed fields of each message type and the check itself.
Must not know: densho's signing code; how the certificate is fetched (the caller's ``fetch``).
"""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Callable

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_KEYS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)
SIGNED_KEYS = {
    "Notification": NOTIFICATION_KEYS,
    "SubscriptionConfirmation": CONFIRMATION_KEYS,
    "UnsubscribeConfirmation": CONFIRMATION_KEYS,
}

Fetch = Callable[[str], tuple[int, bytes]]  # url -> (status, body)


class NotVerified(Exception):
    pass


def validate(doc: dict[str, str], fetch: Fetch, *, https_only: bool) -> None:
    """Raise ``NotVerified`` unless ``doc`` is a genuine SNS message."""
    cert_url = urllib.parse.urlsplit(doc["SigningCertURL"])
    if (https_only and cert_url.scheme != "https") or not cert_url.path.endswith(".pem"):
        wanted = "an https .pem URL" if https_only else "a .pem URL"
        raise NotVerified(f"SigningCertURL must be {wanted}: {doc['SigningCertURL']}")
    status, pem = fetch(doc["SigningCertURL"])
    if status != 200:
        raise NotVerified(f"SigningCertURL answered {status}")
    key = x509.load_pem_x509_certificate(pem).public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise NotVerified("the signing certificate's key is not RSA")
    # Each listed name present in the message, in this (byte) order: "name\nvalue\n".
    canonical = "".join(f"{k}\n{doc[k]}\n" for k in SIGNED_KEYS[doc["Type"]] if k in doc)
    algorithm: hashes.HashAlgorithm = (
        hashes.SHA1() if doc["SignatureVersion"] == "1" else hashes.SHA256()
    )
    try:
        key.verify(
            base64.b64decode(doc["Signature"]),
            canonical.encode("utf-8"),
            padding.PKCS1v15(),
            algorithm,
        )
    except InvalidSignature:
        raise NotVerified("bad signature") from None
