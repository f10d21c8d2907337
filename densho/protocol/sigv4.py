"""AWS Signature Version 4, verified: who signed a request, or the error AWS would answer.

Owns: parsing the ``Authorization`` header and the presigned query form (``X-Amz-Algorithm``,
``-Credential``, ``-Date``, ``-Expires``, ``-SignedHeaders``, ``-Signature``,
``-Security-Token``); rebuilding the canonical request exactly as botocore builds it (path
normalised and URI-encoded, query sorted, canonical and signed headers, payload hash); the
credential scope, clock and expiry checks; the constant-time comparison; a small LRU of derived
signing keys. Every refusal is an ``AwsError`` with AWS's code, status and message text.

Must not know: where credentials are configured (a lookup function is given), what the request
asks for (the caller names the service it detected), policies. Never logs a secret or a
signature.

Choices where AWS is silent or region-bound: any region in the credential scope is accepted
(densho answers for every region; the scope's region names the queue URLs and ARNs). A
presigned URL is valid from 15 minutes before its ``X-Amz-Date`` until ``X-Amz-Date`` +
``X-Amz-Expires`` (at most 7 days), S3's rule; AWS's coral services cap it at 15 minutes.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import time
from calendar import timegm
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote

from densho.core.identity import Identity

from .errors import AwsError
from .http import HttpRequest

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_SKEW_S = 15 * 60
MAX_EXPIRES_S = 7 * 24 * 3600
ISO_BASIC = "%Y%m%dT%H%M%SZ"

# AWS's texts, as its Query services answer them (``<Message>``; JSON ``message``). Recorded in
# public reports: SQS's "Signature expired: ... (... - 15 min.)" as a 403 SignatureDoesNotMatch
# (aws/aws-sdk-php#642, full <ErrorResponse>), SNS's the same (aws/aws-sdk-js#265);
# "Credential should be scoped to correct service: 'x'. " as SignatureDoesNotMatch
# (timkay/aws#111); IncompleteSignature's "Authorization header requires 'Signature' parameter.
# ... Authorization=..." as a 400 (brendanhay/amazonka#316) and its "... not a valid key=value
# pair (missing equal-sign) ..." (iann0036/cloud9-sync#10); statuses from AWS's Common Errors.
MISSING_TOKEN = "Request is missing Authentication Token"
INVALID_TOKEN = "The security token included in the request is invalid."
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)
QUERY_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders")


@dataclass(frozen=True, slots=True)
class Secret:
    """What an access key stands for: its secret and the caller it authenticates."""

    secret_access_key: str = field(repr=False)
    identity: Identity
    # Temporary credentials carry a session token; None: requests with a token are refused.
    session_token: str | None = field(default=None, repr=False)


Lookup = Callable[[str], Secret | None]


def _incomplete(message: str) -> AwsError:
    return AwsError("IncompleteSignature", message, 400)


def _mismatch(message: str = MISMATCH) -> AwsError:
    return AwsError("SignatureDoesNotMatch", message, 403)


def _invalid_token() -> AwsError:
    return AwsError("InvalidClientTokenId", INVALID_TOKEN, 403)


def _iso(epoch: float) -> str:
    return time.strftime(ISO_BASIC, time.gmtime(epoch))


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The derived key of one (secret, day, region, service): four HMACs."""
    key = hmac.digest(("AWS4" + secret).encode(), date.encode(), "sha256")
    key = hmac.digest(key, region.encode(), "sha256")
    key = hmac.digest(key, service.encode(), "sha256")
    return hmac.digest(key, TERMINATOR.encode(), "sha256")


_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


class KeyMac:
    """HMAC-SHA256 under one signing key with its padded inner and outer hashes computed once:
    each signature then costs two hash copies (OpenSSL 3's one-shot HMAC sets up its context
    on every call, which takes longer than the hashing)."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        block = key.ljust(64, b"\0")  # a SHA-256 key is 32 bytes, less than one block
        self._inner = hashlib.sha256(block.translate(_IPAD))
        self._outer = hashlib.sha256(block.translate(_OPAD))

    def hexdigest(self, message: bytes) -> str:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


@functools.lru_cache(maxsize=256)
def key_mac(secret: str, date: str, region: str, service: str) -> KeyMac:
    """The signing key of one (secret, day, region, service), ready to sign; cached (a bounded
    LRU), since every request of a client on one day reuses it."""
    return KeyMac(signing_key(secret, date, region, service))


def normalize_path(path: str) -> str:
    """RFC 3986 dot-segment removal with empty segments dropped, as botocore does, then
    URI-encoded once more (every service but S3 double-encodes the path)."""
    if not path or path == "/":
        return "/"
    kept: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if kept:
                kept.pop()
        elif segment and segment != ".":
            kept.append(segment)
    first = "/" if path[0] == "/" else ""
    last = "/" if path[-1] == "/" and kept else ""
    return quote(first + "/".join(kept) + last, safe="/~")


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def query_pairs(raw: str) -> list[tuple[str, str]]:
    """The query string's (name, value) pairs, percent-decoded ('+' stays '+', RFC 3986)."""
    pairs = []
    if raw:
        for pair in raw.split("&"):
            if pair:
                name, _, value = pair.partition("=")
                pairs.append((unquote(name), unquote(value)))
    return pairs


def canonical_query(pairs: list[tuple[str, str]], skip: str | None = None) -> str:
    if not pairs:
        return ""
    encoded = sorted((_encode(k), _encode(v)) for k, v in pairs if k != skip)
    return "&".join(f"{k}={v}" for k, v in encoded)


@dataclass(slots=True)
class _Signed:
    """The signature's parts, from the header or the query string."""

    access_key: str
    date: str  # yyyymmdd of the credential scope
    region: str
    service: str
    terminator: str
    signed_headers: list[str]
    signature: str
    timestamp: str  # ISO 8601 basic, as in the string to sign
    epoch: float
    token: str | None
    expires: int | None  # presigned only
    presigned: bool


@functools.lru_cache(maxsize=8)
def _day_epoch(day: str) -> int:
    """Midnight UTC of a yyyymmdd day (cached: time.strptime costs more than the rest of a
    verification, and a day's requests share it)."""
    return timegm(time.strptime(day, "%Y%m%d"))


@functools.lru_cache(maxsize=64)  # a busy client's requests share their second
def _parse_timestamp(text: str) -> float:
    try:
        if len(text) != 16 or text[8] != "T" or text[15] != "Z" or not text[9:15].isdigit():
            raise ValueError(text)
        hours, minutes, seconds = int(text[9:11]), int(text[11:13]), int(text[13:15])
        if hours > 23 or minutes > 59 or seconds > 60:
            raise ValueError(text)
        return float(_day_epoch(text[:8]) + hours * 3600 + minutes * 60 + seconds)
    except ValueError:
        raise _incomplete(
            f"Date must be in ISO-8601 'basic format'. Got '{text}'. "
            "See http://en.wikipedia.org/wiki/ISO_8601"
        ) from None


def _split_credential(credential: str) -> list[str]:
    parts = credential.split("/")
    if len(parts) != 5:
        raise _incomplete(
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            f"keyid/date/region/service/term, got '{credential}'"
        )
    return parts


# The form every SDK sends, parsed in one match; anything else takes the general path below.
_USUAL_HEADER = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^,\s]+), ?SignedHeaders=([^,\s]+), ?Signature=([^,\s]+)"
)


def _from_header(header: str, headers: dict[str, str]) -> _Signed:
    usual = _USUAL_HEADER.fullmatch(header)
    amz_date = headers.get("x-amz-date")
    if usual is not None and amz_date:
        credential, signed_headers, signature = usual.groups()
        key, date, region, service, terminator = _split_credential(credential)
        return _Signed(
            key,
            date,
            region,
            service,
            terminator,
            signed_headers.split(";"),
            signature,
            amz_date,
            _parse_timestamp(amz_date),
            headers.get("x-amz-security-token"),
            None,
            False,
        )
    algorithm, _, rest = header.strip().partition(" ")
    fields: dict[str, str] = {}
    # Another scheme (SigV2's "AWS key:signature", Basic, Bearer): only "requires ..." below.
    for item in rest.split(",") if algorithm == ALGORITHM else ():
        item = item.strip()
        if not item:
            continue
        name, eq, value = item.partition("=")
        if not eq:
            raise _incomplete(
                f"'{item}' not a valid key=value pair (missing equal-sign) in Authorization "
                f"header: '{header}'."
            )
        fields[name.strip()] = value.strip()
    # The usual form failed to match: say what is missing, as AWS does.
    problems = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not fields.get(name)
    ]
    http_date = headers.get("date")
    if not amz_date and not http_date:
        problems.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    if problems:
        raise _incomplete(" ".join(problems) + f" Authorization={header}")
    if algorithm != ALGORITHM:
        raise _incomplete(f"Unsupported AWS 'algorithm': '{algorithm}'.")
    if amz_date:
        timestamp = amz_date
        epoch = _parse_timestamp(amz_date)
    else:
        try:
            epoch = parsedate_to_datetime(http_date or "").timestamp()
        except (TypeError, ValueError):
            raise _incomplete(f"Date header is not a valid HTTP date: '{http_date}'.") from None
        timestamp = _iso(epoch)
    key, date, region, service, terminator = _split_credential(fields["Credential"])
    return _Signed(
        key,
        date,
        region,
        service,
        terminator,
        fields["SignedHeaders"].split(";"),
        fields["Signature"],
        timestamp,
        epoch,
        headers.get("x-amz-security-token"),
        None,
        False,
    )


def _from_query(params: dict[str, str], headers: dict[str, str]) -> _Signed:
    missing = [n for n in (*QUERY_PARAMS, "X-Amz-Date") if not params.get(n)]
    if missing:
        text = " ".join(f"AWS query-string parameters must include '{n}'." for n in missing)
        raise _incomplete(f"{text} Re-examine the query-string parameters.")
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise _incomplete(f"Unsupported AWS 'algorithm': '{params['X-Amz-Algorithm']}'.")
    expires: int | None = None
    if "X-Amz-Expires" in params:
        raw = params["X-Amz-Expires"]
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_EXPIRES_S:
            raise _incomplete(
                f"X-Amz-Expires must be an integer from 1 to {MAX_EXPIRES_S}, got '{raw}'."
            )
        expires = int(raw)
    timestamp = params["X-Amz-Date"]
    key, date, region, service, terminator = _split_credential(params["X-Amz-Credential"])
    return _Signed(
        key,
        date,
        region,
        service,
        terminator,
        params["X-Amz-SignedHeaders"].split(";"),
        params["X-Amz-Signature"],
        timestamp,
        _parse_timestamp(timestamp),
        params.get("X-Amz-Security-Token") or headers.get("x-amz-security-token"),
        expires,
        True,
    )


def is_signed(req: HttpRequest) -> bool:
    """Whether the request carries a SigV4 signature in either form (checked or not)."""
    if "authorization" in req.headers:
        return True
    raw = req.query_string
    return b"X-Amz-Signature=" in raw or b"X-Amz-Credential=" in raw


class Verifier:
    """Checks requests against the credentials ``lookup`` knows; ``now`` is injectable."""

    def __init__(self, lookup: Lookup, now: Callable[[], float] = time.time) -> None:
        self._lookup = lookup
        self._now = now

    def verify(self, req: HttpRequest, service: str | None) -> Identity:
        """The caller, or an ``AwsError``. ``service``: the one the request was addressed to
        (``sqs``/``sns``), which the credential scope must name; None: any service."""
        headers = req.headers
        raw_query = req.query_string.decode("latin-1")
        pairs = query_pairs(raw_query) if raw_query else []
        header = headers.get("authorization")
        if header is not None:
            signed = _from_header(header, headers)
        else:
            params = dict(pairs)
            if not any(name in params for name in QUERY_PARAMS):
                raise AwsError("MissingAuthenticationToken", MISSING_TOKEN, 403)
            signed = _from_query(params, headers)
        self._check_time(signed)
        secret = self._lookup(signed.access_key)
        if secret is None:
            raise _invalid_token()
        if signed.token != secret.session_token and (
            signed.token is None
            or secret.session_token is None
            or not hmac.compare_digest(signed.token.encode(), secret.session_token.encode())
        ):
            raise _invalid_token()
        self._check_scope(signed, service)
        request = self._canonical_request(req, signed, pairs)
        string_to_sign = (
            f"{ALGORITHM}\n{signed.timestamp}\n{signed.date}/{signed.region}/{signed.service}/"
            f"{TERMINATOR}\n{hashlib.sha256(request.encode()).hexdigest()}"
        )
        mac = key_mac(secret.secret_access_key, signed.date, signed.region, signed.service)
        expected = mac.hexdigest(string_to_sign.encode())
        if not hmac.compare_digest(expected.encode(), signed.signature.encode("latin-1")):
            raise _mismatch()
        return secret.identity

    def _check_time(self, signed: _Signed) -> None:
        now = self._now()
        if signed.epoch - now > MAX_SKEW_S:
            raise _mismatch(
                f"Signature not yet current: {signed.timestamp} is still later than "
                f"{_iso(now + MAX_SKEW_S)} ({_iso(now)} + 15 min.)"
            )
        if signed.expires is not None:
            if now > signed.epoch + signed.expires:
                raise AwsError("RequestExpired", "Request has expired.", 400)
        elif now - signed.epoch > MAX_SKEW_S:
            raise _mismatch(
                f"Signature expired: {signed.timestamp} is now earlier than "
                f"{_iso(now - MAX_SKEW_S)} ({_iso(now)} - 15 min.)"
            )

    @staticmethod
    def _check_scope(signed: _Signed, service: str | None) -> None:
        if service is not None and signed.service != service:
            raise _mismatch(f"Credential should be scoped to correct service: '{service}'. ")
        if signed.terminator != TERMINATOR:
            raise _mismatch(
                f"Credential should be scoped with a valid terminator: '{TERMINATOR}', "
                f"not '{signed.terminator}'. "
            )
        if not signed.region:
            raise _mismatch("Credential should be scoped to a valid region. ")
        if signed.date != signed.timestamp[:8]:
            raise _mismatch(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                f"date from HTTP: '{signed.date}' != '{signed.timestamp[:8]}', from "
                f"'{signed.timestamp}'."
            )

    @staticmethod
    def _canonical_request(req: HttpRequest, signed: _Signed, pairs: list[tuple[str, str]]) -> str:
        headers = req.headers
        lines = [req.method.upper(), normalize_path(req.raw_path or req.path)]
        lines.append(canonical_query(pairs, "X-Amz-Signature" if signed.presigned else None))
        # Values trimmed, inner runs of spaces made one (SigV4's Trimall).
        lines.extend(f"{n}:{' '.join(headers.get(n, '').split())}" for n in signed.signed_headers)
        lines.append("")
        lines.append(";".join(signed.signed_headers))
        lines.append(_payload_hash(req))
        return "\n".join(lines)


def _payload_hash(req: HttpRequest) -> str:
    actual = hashlib.sha256(req.body).hexdigest()
    declared = req.headers.get("x-amz-content-sha256")
    if declared is None or declared == actual:
        return actual
    if declared == UNSIGNED_PAYLOAD:  # the client chose not to sign the body (AWS accepts it)
        return declared
    # A declared hash that is not the body's: the body was changed after signing.
    raise _mismatch()
