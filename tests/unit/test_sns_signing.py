"""SNS message signatures, checked the way a subscriber's validator checks them.

The verifier here is independent of densho: it loads the certificate PEM with
``cryptography.x509``, rebuilds the string to sign from the rules in the developer guide
(https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html) and verifies
with the certificate's public key, SHA1 for SignatureVersion 1 and SHA256 for 2.
"""

from __future__ import annotations

import base64
import datetime
import os
import stat
from collections.abc import Mapping
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.x509.oid import ExtensionOID, NameOID

from densho.sns import envelope
from densho.sns.signing.signer import (
    CERT_FILE,
    KEY_FILE,
    Signer,
    notification_to_sign,
    string_to_sign,
)

NOW_MS = 1_700_000_000_000
DAY_MS = 86_400_000


def documented_string(message: Mapping[str, str]) -> bytes:
    """The guide's recipe, written out on its own: name, newline, value, newline, per field."""
    if message["Type"] == "Notification":
        names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    text = ""
    for name in names:
        if name == "Subject" and name not in message:
            continue
        text += name + "\n" + message[name] + "\n"
    return text.encode("utf-8")


def verify(cert_pem: bytes, message: Mapping[str, str], signature: str, version: int) -> None:
    cert = x509.load_pem_x509_certificate(cert_pem)
    public = cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    algorithm = hashes.SHA1() if version == 1 else hashes.SHA256()
    public.verify(base64.b64decode(signature), documented_string(message), PKCS1v15(), algorithm)


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.generate(now_ms=NOW_MS)


NOTIFICATION = {
    "Type": "Notification",
    "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
    "TopicArn": "arn:aws:sns:us-west-2:123456789012:MyTopic",
    "Subject": "My First Message",
    "Message": "Hello world!",
    "Timestamp": "2012-05-02T00:54:06.655Z",
}
SUBSCRIPTION_CONFIRMATION = {
    "Type": "SubscriptionConfirmation",
    "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
    "Token": "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3",
    "TopicArn": "arn:aws:sns:us-west-2:123456789012:MyTopic",
    "Message": "You have chosen to subscribe to the topic "
    "arn:aws:sns:us-west-2:123456789012:MyTopic.\n"
    "To confirm the subscription, visit the SubscribeURL included in this message.",
    "SubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription"
    "&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37fb687f",
    "Timestamp": "2012-04-26T20:45:04.751Z",
}
UNSUBSCRIBE_CONFIRMATION = {
    **SUBSCRIPTION_CONFIRMATION,
    "Type": "UnsubscribeConfirmation",
    "MessageId": "47138184-6831-46b8-8f7c-afc488602d7d",
    "Message": "You have chosen to deactivate subscription "
    "arn:aws:sns:us-west-2:123456789012:MyTopic:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55.\n"
    "To cancel this operation and restore the subscription, visit the SubscribeURL "
    "included in this message.",
}
WITHOUT_SUBJECT = {k: v for k, v in NOTIFICATION.items() if k != "Subject"}

MESSAGES = {
    "notification": NOTIFICATION,
    "notification-without-subject": WITHOUT_SUBJECT,
    "subscription-confirmation": SUBSCRIPTION_CONFIRMATION,
    "unsubscribe-confirmation": UNSUBSCRIBE_CONFIRMATION,
}


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_independent_verifier_accepts(signer: Signer, name: str, version: int) -> None:
    message = MESSAGES[name]
    verify(signer.certificate_pem(), message, signer.sign(message, version), version)


@pytest.mark.parametrize("version", [1, 2])
def test_signature_covers_every_signed_field(signer: Signer, version: int) -> None:
    signature = signer.sign(NOTIFICATION, version)
    for name in ("Message", "MessageId", "Subject", "Timestamp", "TopicArn"):
        tampered = {**NOTIFICATION, name: NOTIFICATION[name] + "x"}
        with pytest.raises(InvalidSignature):
            verify(signer.certificate_pem(), tampered, signature, version)


def test_versions_use_different_hashes(signer: Signer) -> None:
    v1 = signer.sign(NOTIFICATION, 1)
    with pytest.raises(InvalidSignature):
        verify(signer.certificate_pem(), NOTIFICATION, v1, 2)


def test_subject_is_signed_only_when_present(signer: Signer) -> None:
    assert b"Subject" not in string_to_sign(WITHOUT_SUBJECT)
    assert string_to_sign({**WITHOUT_SUBJECT, "Subject": None}) == string_to_sign(WITHOUT_SUBJECT)
    signature = signer.sign(WITHOUT_SUBJECT, 2)
    # A validator that finds a Subject the signer did not sign must reject the message.
    with pytest.raises(InvalidSignature):
        verify(signer.certificate_pem(), {**WITHOUT_SUBJECT, "Subject": "added"}, signature, 2)


def test_string_to_sign_matches_the_guides_example() -> None:
    fields = {
        "Type": "Notification",
        "MessageId": "4d4dc071-ddbf-465d-bba8-08f81c89da64",
        "TopicArn": "arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P",
        "Subject": "My subject",
        "Message": "My Test Message",
        "Timestamp": "2019-01-31T04:37:04.321Z",
        "SignatureVersion": "1",
        "UnsubscribeURL": "https://example.invalid/",
    }
    assert string_to_sign(fields) == (
        b"Message\nMy Test Message\n"
        b"MessageId\n4d4dc071-ddbf-465d-bba8-08f81c89da64\n"
        b"Subject\nMy subject\n"
        b"Timestamp\n2019-01-31T04:37:04.321Z\n"
        b"TopicArn\narn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P\n"
        b"Type\nNotification\n"
    )


def test_values_are_signed_decoded_and_as_utf8(signer: Signer) -> None:
    # The guide: escaped control characters are restored before signing; text is UTF-8.
    message = {**NOTIFICATION, "Message": 'line 1\nline 2\t"quoted" \\ \u00e9\u2713 \U0001f600'}
    assert b"line 1\nline 2" in string_to_sign(message)
    verify(signer.certificate_pem(), message, signer.sign(message, 1), 1)


def test_string_to_sign_refuses_what_it_cannot_sign() -> None:
    with pytest.raises(ValueError, match="message type"):
        string_to_sign({**NOTIFICATION, "Type": "Other"})
    with pytest.raises(ValueError, match="Token"):
        string_to_sign({k: v for k, v in SUBSCRIPTION_CONFIRMATION.items() if k != "Token"})


@pytest.mark.parametrize("version", [0, 3, True])
def test_only_versions_1_and_2(signer: Signer, version: int) -> None:
    with pytest.raises(ValueError, match="SignatureVersion"):
        signer.sign(NOTIFICATION, version)


def test_certificate_shape(signer: Signer) -> None:
    cert = x509.load_pem_x509_certificate(signer.certificate_pem())
    assert signer.certificate_pem().startswith(b"-----BEGIN CERTIFICATE-----")
    public = cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.key_size == 2048
    assert cert.subject == cert.issuer
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert cn == "sns.amazonaws.com"
    now = datetime.datetime.fromtimestamp(NOW_MS / 1000, tz=datetime.UTC)
    assert cert.not_valid_before_utc < now
    assert cert.not_valid_after_utc - now > datetime.timedelta(days=5 * 365)
    usage = cert.extensions.get_extension_for_oid(ExtensionOID.KEY_USAGE).value
    assert isinstance(usage, x509.KeyUsage)
    assert usage.digital_signature
    # Self-signed for real: the certificate's own key verifies its signature.
    cert.verify_directly_issued_by(cert)
    assert signer.certificate_file_name.startswith("SimpleNotificationService-")
    assert signer.certificate_file_name.endswith(".pem")


def test_key_and_certificate_must_match(signer: Signer) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(ValueError, match="public key"):
        Signer(stranger, signer.certificate)


def test_load_or_create_persists_across_restarts(tmp_path: Path) -> None:
    first = Signer.load_or_create(tmp_path, now_ms=NOW_MS)
    signature = first.sign(NOTIFICATION, 2)
    key_mode = stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode)
    if os.name == "posix":
        assert key_mode == 0o600
    again = Signer.load_or_create(tmp_path, now_ms=NOW_MS + DAY_MS)
    assert again.certificate_pem() == first.certificate_pem()
    assert again.certificate_file_name == first.certificate_file_name
    verify(again.certificate_pem(), NOTIFICATION, signature, 2)
    assert again.sign(NOTIFICATION, 2) == signature  # PKCS#1 v1.5 is deterministic
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([CERT_FILE, KEY_FILE])


def test_lost_certificate_is_reissued_for_the_same_key(tmp_path: Path) -> None:
    first = Signer.load_or_create(tmp_path, now_ms=NOW_MS)
    signature = first.sign(NOTIFICATION, 1)
    (tmp_path / CERT_FILE).unlink()
    again = Signer.load_or_create(tmp_path, now_ms=NOW_MS)
    assert again.certificate_file_name == first.certificate_file_name
    verify(again.certificate_pem(), NOTIFICATION, signature, 1)


def test_certificate_near_its_end_is_renewed_with_the_same_key(tmp_path: Path) -> None:
    first = Signer.load_or_create(tmp_path, now_ms=NOW_MS)
    signature = first.sign(NOTIFICATION, 2)
    later = NOW_MS + 3640 * DAY_MS  # ten days before the ten years run out
    renewed = Signer.load_or_create(tmp_path, now_ms=later)
    assert renewed.certificate_pem() != first.certificate_pem()
    assert renewed.certificate_file_name == first.certificate_file_name
    end = renewed.certificate.not_valid_after_utc.timestamp() * 1000
    assert end > later + 365 * DAY_MS
    verify(renewed.certificate_pem(), NOTIFICATION, signature, 2)
    assert Signer.load_or_create(tmp_path, now_ms=later).certificate_pem() == (
        renewed.certificate_pem()
    )


def test_foreign_certificate_is_replaced(tmp_path: Path) -> None:
    Signer.load_or_create(tmp_path, now_ms=NOW_MS)
    stranger = Signer.generate(now_ms=NOW_MS)
    (tmp_path / CERT_FILE).write_bytes(stranger.certificate_pem())
    mine = Signer.load_or_create(tmp_path, now_ms=NOW_MS)
    verify(mine.certificate_pem(), NOTIFICATION, mine.sign(NOTIFICATION, 1), 1)
    assert mine.certificate_pem() != stranger.certificate_pem()


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_loose_key_permissions_are_tightened(tmp_path: Path) -> None:
    Signer.load_or_create(tmp_path, now_ms=NOW_MS)
    (tmp_path / KEY_FILE).chmod(0o644)
    Signer.load_or_create(tmp_path, now_ms=NOW_MS)
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600


def test_creates_the_directory(tmp_path: Path) -> None:
    directory = tmp_path / "data" / "sns"
    Signer.load_or_create(directory, now_ms=NOW_MS)
    assert (directory / KEY_FILE).is_file()


@pytest.mark.parametrize("subject", [None, 'Café "quoted"\nline'])
def test_a_notification_s_string_to_sign_written_out_is_the_same(subject: str | None) -> None:
    named = ("m-1", "arn:aws:sns:us-east-1:000000000000:t", "héllo\n{}", "2012-05-02T00:54:06.655Z")
    fields = envelope.notification_signed(*named, subject)
    assert notification_to_sign(*named, subject) == string_to_sign(fields)
