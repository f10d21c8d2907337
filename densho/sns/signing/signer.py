"""Message signatures: what SNS signs, and the key and certificate densho signs with.

Owns: the string to sign for each message type, the SignatureVersion → hash mapping, and the
``Signer`` (an RSA key plus its self-signed X.509 certificate, kept in the data directory so a
signature stays verifiable across restarts, or made from stored PEM — ``from_pem``; nodes
sharing a database keep theirs there, see ``densho.sns.signing.keys``).
Must not know: HTTP, the JSON layout of the messages (``densho.sns.envelope``), where the
certificate is served, storage.

What AWS signs (https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html):
for each listed name, in byte order, ``name\\nvalue\\n``; the values are the decoded JSON strings.

    Notification                           SubscriptionConfirmation, UnsubscribeConfirmation
    Message, MessageId, Subject (only if   Message, MessageId, SubscribeURL, Timestamp,
    present), Timestamp, TopicArn, Type    Token, TopicArn, Type

SignatureVersion 1 is SHA1withRSA, 2 is SHA256withRSA (RSASSA-PKCS1-v1_5 in both).

The certificate is self-signed, so no validator trusts it by default; it is shaped so that the
checks validators do make pass: the subject and issuer CN is ``sns.amazonaws.com`` (AWS's own
SNS certificates carry that CN, and e.g. the AWS SDK for Java v2 looks for it in both), key
usage allows digital signatures, and it is valid for ten years from its first use.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from densho.core import private_files

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
_KEYS_BY_TYPE = {
    "Notification": NOTIFICATION_KEYS,
    "SubscriptionConfirmation": CONFIRMATION_KEYS,
    "UnsubscribeConfirmation": CONFIRMATION_KEYS,
}
_OPTIONAL_KEYS = frozenset({"Subject"})

SIGNATURE_VERSIONS = (1, 2)

COMMON_NAME = "sns.amazonaws.com"
KEY_SIZE = 2048
_MEMO_SIZE = 256  # signatures kept: enough for the publishes in flight at once
KEY_FILE = "sns-signing-key.pem"
CERT_FILE = "sns-signing-cert.pem"

_DAY_MS = 86_400_000
# Starting the validity a day early keeps a verifier whose clock lags ours from calling the
# certificate "not yet valid".
_BACKDATE_MS = _DAY_MS
_VALIDITY_MS = 3650 * _DAY_MS
# A certificate this close to its end is re-issued (same key, so earlier signatures still
# verify against the new certificate).
_RENEW_BEFORE_MS = 30 * _DAY_MS


def string_to_sign(fields: Mapping[str, str | None]) -> bytes:
    """The bytes SNS signs for a message, from its JSON fields (``Type`` picks the names).

    ``Subject`` is signed only when present and not None; every other listed name is required.
    Unlisted fields (SignatureVersion, UnsubscribeURL, MessageAttributes, ...) are ignored.
    """
    kind = fields.get("Type")
    keys = _KEYS_BY_TYPE.get(kind or "")
    if keys is None:
        raise ValueError(f"no signature is defined for message type {kind!r}")
    parts: list[str] = []
    for key in keys:
        value = fields.get(key)
        if value is None:
            if key in _OPTIONAL_KEYS:
                continue
            raise ValueError(f"a {kind} message needs {key} to be signed")
        parts.append(f"{key}\n{value}\n")
    return "".join(parts).encode("utf-8")


def notification_to_sign(
    message_id: str, topic_arn: str, message: str, timestamp: str, subject: str | None
) -> bytes:
    """``string_to_sign`` of a Notification's fields, written out (one per publish: no
    mapping of the fields to build and walk)."""
    subject_line = "" if subject is None else f"Subject\n{subject}\n"
    return (
        f"Message\n{message}\nMessageId\n{message_id}\n{subject_line}"
        f"Timestamp\n{timestamp}\nTopicArn\n{topic_arn}\nType\nNotification\n"
    ).encode()


def _hash_for(version: int) -> hashes.HashAlgorithm:
    # bool is an int; SignatureVersion True is a caller's bug, not version 1.
    if isinstance(version, bool) or version not in SIGNATURE_VERSIONS:
        raise ValueError(f"SignatureVersion must be 1 or 2, not {version!r}")
    return hashes.SHA1() if version == 1 else hashes.SHA256()


def sign_bytes(key: rsa.RSAPrivateKey, data: bytes, version: int) -> str:
    """The base64 signature of ``data`` (``string_to_sign``'s bytes) for SignatureVersion
    ``version``."""
    signature = key.sign(data, padding.PKCS1v15(), _hash_for(version))
    return base64.b64encode(signature).decode("ascii")


def load_key(key_pem: bytes) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM; anything else is refused."""
    key = serialization.load_pem_private_key(key_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def _utc(epoch_ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch_ms / 1000, tz=datetime.UTC)


class Signer:
    """An RSA private key and the certificate that publishes its public key."""

    __slots__ = ("_cert", "_cert_pem", "_key", "_key_id", "_memo")

    def __init__(self, key: rsa.RSAPrivateKey, certificate: x509.Certificate) -> None:
        if certificate.public_key() != key.public_key():
            raise ValueError("the certificate does not hold this key's public key")
        self._key = key
        self._cert = certificate
        self._cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
        spki = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        # Named after the key, not the certificate, so a renewed certificate keeps the URL
        # that earlier messages carry in SigningCertURL.
        self._key_id = hashlib.sha256(spki).hexdigest()[:32]
        # Recent signatures: a publish signs the same document for every subscription it
        # reaches, and may have it signed ahead on another thread (``signature``/``remember``).
        self._memo: dict[tuple[bytes, int], str] = {}

    @classmethod
    def generate(cls, *, now_ms: int, common_name: str = COMMON_NAME) -> Signer:
        """A fresh key and certificate, in memory only."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
        return cls(key, issue_certificate(key, now_ms=now_ms, common_name=common_name))

    @classmethod
    def load_or_create(
        cls,
        directory: Path,
        *,
        now_ms: int | None = None,
        common_name: str = COMMON_NAME,
    ) -> Signer:
        """The signer kept in ``directory``, created there on first use.

        The key is ``sns-signing-key.pem`` (PKCS#8, mode 0600), the certificate
        ``sns-signing-cert.pem``. A missing, foreign or nearly expired certificate is re-issued
        for the same key. Files are written to a temporary name and linked into place, so a
        crash never leaves half a key, and of two processes starting together on one directory
        both end up with the key that was linked first. ``now_ms`` defaults to the wall clock.
        """
        now = time.time_ns() // 1_000_000 if now_ms is None else now_ms
        private_files.private_dir(directory)
        key_path = directory / KEY_FILE
        cert_path = directory / CERT_FILE
        if not key_path.exists():
            _create(key_path, new_key_pem(), 0o600)  # False: another process won; read its key
        # A key someone made readable to others is tightened back: it signs as "SNS".
        private_files.tighten(key_path)
        private_files.tighten(cert_path)
        try:
            cert_pem: bytes | None = cert_path.read_bytes()
        except FileNotFoundError:
            cert_pem = None
        signer, renewed = cls.from_pem(
            key_path.read_bytes(), cert_pem, now_ms=now, common_name=common_name, where=key_path
        )
        if renewed is not None:
            _replace(cert_path, renewed, 0o600)  # served over HTTP by densho, not read by others
        return signer

    @classmethod
    def from_pem(
        cls,
        key_pem: bytes,
        cert_pem: bytes | None,
        *,
        now_ms: int,
        common_name: str = COMMON_NAME,
        where: object = "the stored key",
    ) -> tuple[Signer, bytes | None]:
        """The signer of a stored key (PKCS#8 PEM) and certificate (PEM), and — when the
        certificate was missing, unreadable, foreign or nearly expired — the PEM of the one
        re-issued for the key, for the caller to store (else None). ``where`` names the key in
        the error for a key that is not RSA of at least ``KEY_SIZE`` bits."""
        try:
            key = load_key(key_pem)
        except ValueError:
            key = None
        if key is None or key.key_size < KEY_SIZE:
            raise ValueError(f"{where} must hold an RSA private key of at least {KEY_SIZE} bits")
        cert = _parse_cert(cert_pem)
        if cert is not None and _fits(cert, key, now_ms, common_name):
            return cls(key, cert), None
        cert = issue_certificate(key, now_ms=now_ms, common_name=common_name)
        return cls(key, cert), cert.public_bytes(serialization.Encoding.PEM)

    def sign(self, fields: Mapping[str, str | None], version: int) -> str:
        """The base64 ``Signature`` of a message's fields for SignatureVersion 1 or 2."""
        _hash_for(version)  # refuses any other version before the memo is consulted
        key = (string_to_sign(fields), version)
        found = self._memo.get(key)
        if found is None:
            found = sign_bytes(self._key, *key)
            self._keep(key, found)
        return found

    def signature_of(self, data: bytes, version: int) -> str:
        """The signature of ``string_to_sign``'s ``data``, without the memo (safe on any
        thread)."""
        return sign_bytes(self._key, data, version)

    def remember(self, data: bytes, version: int, signature: str) -> None:
        """Keep a ``signature`` of ``data`` made elsewhere (another thread or process), so
        ``sign`` of the same fields finds it."""
        self._keep((data, version), signature)

    def key_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM, for a signing process of this server."""
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def _keep(self, key: tuple[bytes, int], signature: str) -> None:
        if len(self._memo) >= _MEMO_SIZE:
            del self._memo[next(iter(self._memo))]  # the oldest
        self._memo[key] = signature

    def certificate_pem(self) -> bytes:
        """The certificate to serve at SigningCertURL (PEM, as AWS serves its own)."""
        return self._cert_pem

    @property
    def certificate(self) -> x509.Certificate:
        return self._cert

    @property
    def certificate_file_name(self) -> str:
        """A file name for SigningCertURL: ``SimpleNotificationService-<hex>.pem``, as AWS names it.

        Validators that check the URL's path accept ``SimpleNotificationService-[a-f0-9]+.pem``.
        """
        return f"SimpleNotificationService-{self._key_id}.pem"


def issue_certificate(
    key: rsa.RSAPrivateKey, *, now_ms: int, common_name: str = COMMON_NAME
) -> x509.Certificate:
    """A self-signed certificate for ``key``, valid from a day before ``now_ms`` for ten years."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "densho"),
        ]
    )
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(_utc(now_ms - _BACKDATE_MS))
        .not_valid_after(_utc(now_ms + _VALIDITY_MS))
        # CA with keyCertSign: a self-signed certificate is its own issuer, and strict chain
        # builders (OpenSSL) only accept a self-issued certificate as a trust anchor when its
        # key usage allows signing certificates. digitalSignature is the bit SNS validators
        # require when key usage is present.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
    )
    return builder.sign(key, hashes.SHA256())


def _fits(cert: x509.Certificate, key: rsa.RSAPrivateKey, now_ms: int, common_name: str) -> bool:
    if cert.public_key() != key.public_key():
        return False
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if [n.value for n in names] != [common_name]:
        return False
    end_ms = int(cert.not_valid_after_utc.timestamp() * 1000)
    start_ms = int(cert.not_valid_before_utc.timestamp() * 1000)
    return start_ms <= now_ms < end_ms - _RENEW_BEFORE_MS


def new_key_pem() -> bytes:
    """A fresh RSA key of ``KEY_SIZE`` bits, as unencrypted PKCS#8 PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _parse_cert(pem: bytes | None) -> x509.Certificate | None:
    if pem is None:
        return None
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError:
        return None  # unreadable: issue a new one for the key


def _write_temp(path: Path, data: bytes, mode: int) -> Path:
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(temp, mode)  # the umask may have narrowed or (for 0644) changed the mode
    return temp


def _sync_directory(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create(path: Path, data: bytes, mode: int) -> bool:
    """Put ``data`` at ``path`` unless a file is already there; True if this call did."""
    temp = _write_temp(path, data, mode)
    try:
        try:
            os.link(temp, path)  # atomic and refuses to overwrite: first writer wins
        except FileExistsError:
            return False
        except OSError:
            # A file system without hard links: no first-writer guarantee, still no torn file.
            if path.exists():
                return False
            os.replace(temp, path)
        _sync_directory(path.parent)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def _replace(path: Path, data: bytes, mode: int) -> None:
    temp = _write_temp(path, data, mode)
    os.replace(temp, path)
    _sync_directory(path.parent)
